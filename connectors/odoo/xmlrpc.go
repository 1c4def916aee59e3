package odoo

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/flowctl/flowctl/engine"
)

// xmlrpc calls service.method over POST /xmlrpc/2/<service>. Faults come
// back as *serverError: code 1 carries a traceback (its last exception is
// the name), 2 is a UserError (or its subclasses ValidationError and
// MissingError), 3 AccessDenied, 4 AccessError.
func (c *client) xmlrpc(ctx context.Context, what, service, method string, args []any) (any, error) {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0"?>` + "\n<methodCall><methodName>")
	xmlText(&b, method)
	b.WriteString("</methodName><params>")
	for _, a := range args {
		b.WriteString("<param>")
		if err := writeXMLRPCValue(&b, a); err != nil {
			return nil, engine.Permanent(fmt.Errorf("%s: encoding the call: %v", what, err))
		}
		b.WriteString("</param>")
	}
	b.WriteString("</params></methodCall>\n")
	resp, err := c.post(ctx, what, "/xmlrpc/2/"+service, b.Bytes(), nil)
	if err != nil {
		return nil, err
	}
	v, fault, err := decodeXMLRPC(resp)
	if err != nil {
		return nil, engine.Permanent(fmt.Errorf("%s: the answer is not XML-RPC (is url the Odoo server?): %v", what, err))
	}
	if fault != nil {
		// A method that returns None succeeds, but Odoo's XML-RPC cannot
		// marshal the None.
		if fault.Code == 1 && strings.Contains(fault.Message, "cannot marshal None") {
			return nil, nil
		}
		return nil, fault
	}
	return v, nil
}

func xmlText(b *bytes.Buffer, s string) {
	xml.EscapeText(b, []byte(s)) //nolint:errcheck // bytes.Buffer does not fail
}

func writeXMLRPCValue(b *bytes.Buffer, v any) error {
	b.WriteString("<value>")
	switch x := v.(type) {
	case nil:
		b.WriteString("<nil/>")
	case bool:
		if x {
			b.WriteString("<boolean>1</boolean>")
		} else {
			b.WriteString("<boolean>0</boolean>")
		}
	case string:
		b.WriteString("<string>")
		xmlText(b, x)
		b.WriteString("</string>")
	case int:
		fmt.Fprintf(b, "<int>%d</int>", x)
	case int64:
		fmt.Fprintf(b, "<int>%d</int>", x)
	case int32:
		fmt.Fprintf(b, "<int>%d</int>", x)
	case float64:
		fmt.Fprintf(b, "<double>%s</double>", strconv.FormatFloat(x, 'g', -1, 64))
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			fmt.Fprintf(b, "<int>%s</int>", x)
		} else if _, err := x.Float64(); err == nil {
			fmt.Fprintf(b, "<double>%s</double>", x)
		} else {
			return fmt.Errorf("%q is not a number", string(x))
		}
	case []int:
		b.WriteString("<array><data>")
		for _, e := range x {
			fmt.Fprintf(b, "<value><int>%d</int></value>", e)
		}
		b.WriteString("</data></array>")
	case []any:
		b.WriteString("<array><data>")
		for _, e := range x {
			if err := writeXMLRPCValue(b, e); err != nil {
				return err
			}
		}
		b.WriteString("</data></array>")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<struct>")
		for _, k := range keys {
			b.WriteString("<member><name>")
			xmlText(b, k)
			b.WriteString("</name>")
			if err := writeXMLRPCValue(b, x[k]); err != nil {
				return err
			}
			b.WriteString("</member>")
		}
		b.WriteString("</struct>")
	default:
		return fmt.Errorf("cannot send %T over XML-RPC", v)
	}
	b.WriteString("</value>")
	return nil
}

// decodeXMLRPC reads a methodResponse: its value, or its fault.
func decodeXMLRPC(data []byte) (any, *serverError, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	if _, err := expectStart(d, "methodResponse"); err != nil {
		return nil, nil, err
	}
	se, err := nextStart(d)
	if err != nil {
		return nil, nil, err
	}
	switch se.Name.Local {
	case "params":
		if _, err := expectStart(d, "param"); err != nil {
			return nil, nil, err
		}
		if _, err := expectStart(d, "value"); err != nil {
			return nil, nil, err
		}
		v, err := parseXMLRPCValue(d)
		return v, nil, err
	case "fault":
		if _, err := expectStart(d, "value"); err != nil {
			return nil, nil, err
		}
		v, err := parseXMLRPCValue(d)
		if err != nil {
			return nil, nil, err
		}
		m, _ := v.(map[string]any)
		code, _ := toID(m["faultCode"])
		msg, _ := m["faultString"].(string)
		return nil, faultError(code, msg), nil
	}
	return nil, nil, fmt.Errorf("unexpected <%s>", se.Name.Local)
}

// faultError maps an XML-RPC fault of /xmlrpc/2 to Odoo's exception.
func faultError(code int, msg string) *serverError {
	se := &serverError{Code: code, Message: msg}
	switch code {
	case 1:
		se.Name, se.Message = parseTraceback(msg)
	case 2:
		// ValidationError and MissingError are UserErrors; the fault does
		// not say which.
		se.Name = "odoo.exceptions.UserError"
	case 3:
		se.Name = "odoo.exceptions.AccessDenied"
	case 4:
		se.Name = "odoo.exceptions.AccessError"
	}
	return se
}

// parseTraceback finds the exception a Python traceback ends with: the
// first unindented line after the last frame, "module.Class: message".
func parseTraceback(tb string) (name, msg string) {
	lines := strings.Split(strings.TrimRight(tb, "\n"), "\n")
	last := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "  File ") {
			last = i
		}
	}
	i := last + 1
	for last >= 0 && i < len(lines) && strings.HasPrefix(lines[i], " ") {
		i++
	}
	if last < 0 {
		i = 0
		if len(lines) > 0 && strings.HasPrefix(lines[0], "Traceback") {
			i = 1
		}
	}
	if i >= len(lines) {
		return "", tb
	}
	rest := strings.Join(lines[i:], "\n")
	head, tail, ok := strings.Cut(rest, ": ")
	if ok && isDotted(head) {
		return head, tail
	}
	if isDotted(strings.TrimSpace(rest)) {
		return strings.TrimSpace(rest), ""
	}
	return "", tb
}

func isDotted(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '.' || r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, fmt.Errorf("unexpected </%s>", t.Name.Local)
		}
	}
}

func expectStart(d *xml.Decoder, name string) (xml.StartElement, error) {
	se, err := nextStart(d)
	if err == nil && se.Name.Local != name {
		err = fmt.Errorf("expected <%s>, got <%s>", name, se.Name.Local)
	}
	return se, err
}

// parseXMLRPCValue reads what follows a <value> start tag, through its end
// tag. Integers and doubles become json.Number, as from the JSON protocols.
func parseXMLRPCValue(d *xml.Decoder) (any, error) {
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement: // <value>text</value>: a string
			return text.String(), nil
		case xml.StartElement:
			v, err := parseTyped(d, t)
			if err != nil {
				return nil, err
			}
			if err := skipToEnd(d); err != nil { // </value>
				return nil, err
			}
			return v, nil
		}
	}
}

func parseTyped(d *xml.Decoder, t xml.StartElement) (any, error) {
	switch t.Name.Local {
	case "array":
		var out []any
		if _, err := expectStart(d, "data"); err != nil {
			return nil, err
		}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, err
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if x.Name.Local != "value" {
					return nil, fmt.Errorf("unexpected <%s> in an array", x.Name.Local)
				}
				v, err := parseXMLRPCValue(d)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			case xml.EndElement: // </data>
				if out == nil {
					out = []any{}
				}
				return out, skipToEnd(d) // </array>
			}
		}
	case "struct":
		out := map[string]any{}
		for {
			tok, err := d.Token()
			if err != nil {
				return nil, err
			}
			switch x := tok.(type) {
			case xml.StartElement:
				if x.Name.Local != "member" {
					return nil, fmt.Errorf("unexpected <%s> in a struct", x.Name.Local)
				}
				name, val, err := parseMember(d)
				if err != nil {
					return nil, err
				}
				out[name] = val
			case xml.EndElement:
				return out, nil
			}
		}
	case "nil":
		return nil, skipToEnd(d)
	}
	var text string
	if err := d.DecodeElement(&text, &t); err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	switch t.Name.Local {
	case "int", "i4", "i8":
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			return nil, fmt.Errorf("bad <%s> %q", t.Name.Local, text)
		}
		return json.Number(text), nil
	case "double":
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, fmt.Errorf("bad <double> %q", text)
		}
		return json.Number(text), nil
	case "boolean":
		return text == "1" || text == "true", nil
	case "string", "dateTime.iso8601", "base64":
		return text, nil
	}
	return nil, fmt.Errorf("unknown XML-RPC type <%s>", t.Name.Local)
}

func parseMember(d *xml.Decoder) (string, any, error) {
	var name string
	var val any
	seen := false
	for {
		tok, err := d.Token()
		if err != nil {
			return "", nil, err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			switch x.Name.Local {
			case "name":
				if err := d.DecodeElement(&name, &x); err != nil {
					return "", nil, err
				}
			case "value":
				if val, err = parseXMLRPCValue(d); err != nil {
					return "", nil, err
				}
				seen = true
			default:
				return "", nil, fmt.Errorf("unexpected <%s> in a member", x.Name.Local)
			}
		case xml.EndElement:
			if !seen {
				return "", nil, errors.New("a struct member without a value")
			}
			return name, val, nil
		}
	}
}

// skipToEnd reads up to the end tag of the element being read.
func skipToEnd(d *xml.Decoder) error {
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				return nil
			}
			depth--
		}
	}
}
