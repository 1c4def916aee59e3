package odootest

import (
	"encoding/json"
	"fmt"
	"strings"
)

// load imports rows like Odoo's load: fields are names, "id" (external id),
// "x/id" and "x/.id" for many2ones; rows hold strings. A row whose "id"
// names an existing external id updates that record.
func (e *env) load(m *model, fields []string, rows [][]any) (object, error) {
	type column struct {
		name, sub string // sub: "", "id", ".id"
		f         *field
	}
	cols := make([]column, len(fields))
	for i, name := range fields {
		c := column{name: name}
		base := name
		if j := strings.IndexByte(name, '/'); j >= 0 {
			base, c.sub = name[:j], name[j+1:]
		}
		switch {
		case name == "id" || name == ".id":
		case m.byName[base] == nil || (c.sub != "" && c.sub != "id" && c.sub != ".id"):
			return object{{"ids", false}, {"messages", []any{object{
				{"type", "error"}, {"message", fmt.Sprintf("Unknown field %s", pyRepr(name))},
				{"field", name}}}}, {"nextrow", 0}}, nil
		default:
			c.f = m.byName[base]
			c.name = base
		}
		cols[i] = c
	}
	imd := e.model("ir.model.data")
	var ids []any
	var messages []any
	for rowNo, row := range rows {
		fail := func(field, msg string) {
			messages = append(messages, object{
				{"type", "error"},
				{"rows", object{{"from", rowNo}, {"to", rowNo}}},
				{"record", rowNo},
				{"field", field},
				{"message", msg},
			})
		}
		vals := map[string]any{}
		xmlid, dbid := "", 0
		ok := true
		for i, c := range cols {
			if i >= len(row) {
				break
			}
			cell := ""
			switch x := row[i].(type) {
			case string:
				cell = x
			case json.Number:
				cell = string(x)
			case bool:
				if x {
					cell = "1"
				}
			}
			switch {
			case c.name == "id":
				xmlid = cell
				continue
			case c.name == ".id":
				dbid, _ = toInt(json.Number(cell))
				continue
			}
			if cell == "" {
				vals[c.name] = false
				continue
			}
			v, msg := e.importValue(m, c.f, c.sub, cell)
			if msg != "" {
				fail(c.name, msg)
				ok = false
				continue
			}
			vals[c.name] = v
		}
		if !ok {
			continue
		}
		module, name := "__import__", xmlid
		if j := strings.IndexByte(xmlid, '.'); j >= 0 {
			module, name = xmlid[:j], xmlid[j+1:]
		}
		if xmlid != "" {
			if xr := e.findXMLID(module, name); xr != nil && m.get(e.ref(imd, xr, "res_id")) != nil {
				dbid = e.ref(imd, xr, "res_id")
			}
		}
		var err error
		if dbid != 0 {
			err = e.write(m, []int{dbid}, vals)
		} else {
			dbid, err = e.createOne(m, vals)
			if err == nil && xmlid != "" {
				_, err = e.createOne(imd, map[string]any{"module": module, "name": name,
					"model": m.name, "res_id": json.Number(itoa(dbid))})
			}
		}
		if err != nil {
			fail("", asError(err).Message)
			continue
		}
		ids = append(ids, dbid)
	}
	if len(messages) > 0 {
		e.rollback()
		return object{{"ids", false}, {"messages", messages}, {"nextrow", 0}}, nil
	}
	if ids == nil {
		ids = []any{}
	}
	return object{{"ids", ids}, {"messages", []any{}}, {"nextrow", 0}}, nil
}

// importValue converts one import cell; a non-empty message is an error.
func (e *env) importValue(m *model, f *field, sub, cell string) (any, string) {
	switch f.typ {
	case "many2one":
		cm := e.model(f.relation)
		switch sub {
		case ".id":
			return json.Number(cell), ""
		case "id":
			module, name := "__import__", cell
			if j := strings.IndexByte(cell, '.'); j >= 0 {
				module, name = cell[:j], cell[j+1:]
			}
			if xr := e.findXMLID(module, name); xr != nil {
				return json.Number(itoa(e.ref(e.model("ir.model.data"), xr, "res_id"))), ""
			}
			return nil, fmt.Sprintf("No matching record found for external id '%s' in field '%s'", cell, f.label)
		}
		found, err := e.nameSearch(cm, cell, nil, "=", 1)
		if err != nil || len(found) == 0 {
			return nil, fmt.Sprintf("No matching record found for name '%s' in field '%s'", cell, f.label)
		}
		return json.Number(itoa(found[0].([]any)[0].(int))), ""
	case "boolean":
		switch strings.ToLower(cell) {
		case "1", "true", "yes":
			return true, ""
		case "0", "false", "no":
			return false, ""
		}
		return nil, fmt.Sprintf("Unknown value '%s' for boolean field '%s'", cell, f.label)
	case "integer", "float", "monetary":
		return json.Number(strings.TrimSpace(cell)), ""
	case "selection":
		for _, s := range f.selection {
			if s[0] == cell || strings.EqualFold(s[1], cell) {
				return s[0], ""
			}
		}
		return nil, fmt.Sprintf("Value '%s' not found in selection field '%s'", cell, f.label)
	case "one2many", "many2many":
		var ids []any
		for _, part := range strings.Split(cell, ",") {
			ids = append(ids, json.Number(strings.TrimSpace(part)))
		}
		return []any{[]any{json.Number("6"), json.Number("0"), ids}}, ""
	}
	return cell, ""
}

// findXMLID returns the ir.model.data record of module.name.
func (e *env) findXMLID(module, name string) *rec {
	imd := e.model("ir.model.data")
	if ids := imd.keys[0].idx[module+"."+name]; len(ids) > 0 {
		return imd.get(ids[0])
	}
	return nil
}
