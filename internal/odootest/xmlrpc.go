package odootest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// serveXMLRPC is /xmlrpc/2/common and /xmlrpc/2/object. Faults use the
// codes of /xmlrpc/2: 1 server error (faultString is the traceback),
// 2 UserError and subclasses, 3 AccessDenied, 4 AccessError.
func (s *Server) serveXMLRPC(w http.ResponseWriter, r *http.Request, service string) {
	writeFault := func(e *Error) {
		writeRaw(w, http.StatusOK, "text/xml; charset=utf-8", xmlFault(e.faultCode(), e.faultString()))
	}
	if s.injectFault(w, r, "xmlrpc", writeFault) {
		return
	}
	body, err := readBody(r)
	if err != nil {
		writeFault(newErr("xml.parsers.expat.ExpatError", "%s", err.Error()))
		return
	}
	method, args, err := parseMethodCall(body)
	if err != nil {
		writeFault(newErr("xml.parsers.expat.ExpatError", "%s", err.Error()))
		return
	}
	res, call, rpcErr := s.dispatchRPC(remoteHost(r), service, method, args)
	call.Protocol = "xmlrpc"
	if rpcErr == nil {
		if _, none := res.(pyNone); none {
			rpcErr = typeErr("cannot marshal None unless allow_none is enabled")
		}
	}
	var out []byte
	if rpcErr == nil {
		out, err = xmlResponse(res)
		if err != nil {
			rpcErr = typeErr("%s", err.Error())
		}
	}
	if rpcErr != nil {
		call.Error = rpcErr.Name
		s.logCall(call)
		writeFault(rpcErr)
		return
	}
	s.logCall(call)
	writeRaw(w, http.StatusOK, "text/xml; charset=utf-8", out)
}

// parseMethodCall decodes <methodCall> into a method name and arguments in
// the decoded-JSON shapes (json.Number for int and double).
func parseMethodCall(data []byte) (string, []any, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var method string
	var args []any
	for {
		tok, err := d.Token()
		if err != nil {
			if method == "" {
				return "", nil, errors.New("no methodName in the request")
			}
			return method, args, nil
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "methodName":
			t, err := readText(d)
			if err != nil {
				return "", nil, err
			}
			method = strings.TrimSpace(t)
		case "value":
			v, err := parseValue(d)
			if err != nil {
				return "", nil, err
			}
			args = append(args, v)
		}
	}
}

// readText reads character data up to the end of the current element.
func readText(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return b.String(), nil
		case xml.StartElement:
			return "", fmt.Errorf("unexpected <%s>", t.Name.Local)
		}
	}
}

// parseValue parses the content of a <value> element (already opened).
func parseValue(d *xml.Decoder) (any, error) {
	var text strings.Builder
	var v any
	typed := false
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			if !typed {
				return text.String(), nil // untyped value: a string
			}
			return v, nil
		case xml.StartElement:
			typed = true
			switch t.Name.Local {
			case "int", "i4", "i8", "double":
				s, err := readText(d)
				if err != nil {
					return nil, err
				}
				s = strings.TrimSpace(s)
				if _, err := strconv.ParseFloat(s, 64); err != nil {
					return nil, fmt.Errorf("invalid number %q", s)
				}
				v = json.Number(s)
			case "boolean":
				s, err := readText(d)
				if err != nil {
					return nil, err
				}
				v = strings.TrimSpace(s) == "1"
			case "string", "dateTime.iso8601", "base64":
				s, err := readText(d)
				if err != nil {
					return nil, err
				}
				v = s
			case "nil":
				if err := d.Skip(); err != nil {
					return nil, err
				}
				v = nil
			case "array":
				list, err := parseArray(d)
				if err != nil {
					return nil, err
				}
				v = list
			case "struct":
				m, err := parseStruct(d)
				if err != nil {
					return nil, err
				}
				v = m
			default:
				return nil, fmt.Errorf("unknown type <%s>", t.Name.Local)
			}
		}
	}
}

func parseArray(d *xml.Decoder) ([]any, error) {
	list := []any{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "value" {
				v, err := parseValue(d)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
		case xml.EndElement:
			if t.Name.Local == "array" {
				return list, nil
			}
		}
	}
}

func parseStruct(d *xml.Decoder) (map[string]any, error) {
	m := map[string]any{}
	var name string
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "name":
				s, err := readText(d)
				if err != nil {
					return nil, err
				}
				name = s
			case "value":
				v, err := parseValue(d)
				if err != nil {
					return nil, err
				}
				m[name] = v
			}
		case xml.EndElement:
			if t.Name.Local == "struct" {
				return m, nil
			}
		}
	}
}

func xmlResponse(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n")
	if err := writeXMLValue(&b, v); err != nil {
		return nil, err
	}
	b.WriteString("\n</param>\n</params>\n</methodResponse>\n")
	return b.Bytes(), nil
}

func xmlFault(code int, msg string) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version='1.0'?>\n<methodResponse>\n<fault>\n")
	writeXMLValue(&b, object{{"faultCode", code}, {"faultString", msg}}) //nolint:errcheck // no None inside
	b.WriteString("\n</fault>\n</methodResponse>\n")
	return b.Bytes()
}

// writeXMLValue marshals like Python's xmlrpc.client (Odoo's marshaller
// writes False as a boolean; None cannot be marshalled).
func writeXMLValue(b *bytes.Buffer, v any) error {
	b.WriteString("<value>")
	switch x := v.(type) {
	case nil, pyNone:
		return errors.New("cannot marshal None unless allow_none is enabled")
	case bool:
		if x {
			b.WriteString("<boolean>1</boolean>")
		} else {
			b.WriteString("<boolean>0</boolean>")
		}
	case int:
		fmt.Fprintf(b, "<int>%d</int>", x)
	case pyFloat:
		fmt.Fprintf(b, "<double>%s</double>", formatPyFloat(float64(x)))
	case float64:
		fmt.Fprintf(b, "<double>%s</double>", formatPyFloat(x))
	case json.Number:
		if _, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			fmt.Fprintf(b, "<int>%s</int>", x)
		} else {
			fmt.Fprintf(b, "<double>%s</double>", x)
		}
	case string:
		b.WriteString("<string>")
		b.WriteString(xmlEscape(x))
		b.WriteString("</string>")
	case []int:
		return writeXMLValueInner(b, idList(x))
	case []any:
		return writeXMLValueInner(b, x)
	case object:
		b.WriteString("<struct>\n")
		for _, m := range x {
			b.WriteString("<member>\n<name>")
			b.WriteString(xmlEscape(m.k))
			b.WriteString("</name>\n")
			if err := writeXMLValue(b, m.v); err != nil {
				return err
			}
			b.WriteString("\n</member>\n")
		}
		b.WriteString("</struct>")
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := make(object, len(keys))
		for i, k := range keys {
			o[i] = member{k, x[k]}
		}
		b.Truncate(b.Len() - len("<value>"))
		return writeXMLValue(b, o)
	default:
		return fmt.Errorf("cannot marshal %T objects", v)
	}
	b.WriteString("</value>")
	return nil
}

func writeXMLValueInner(b *bytes.Buffer, list []any) error {
	b.WriteString("<array><data>\n")
	for _, e := range list {
		if err := writeXMLValue(b, e); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	b.WriteString("</data></array></value>")
	return nil
}

// xmlEscape escapes like Python's xmlrpc.client: &, < and > only.
var xmlEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
