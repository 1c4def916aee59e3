package codec

// Parser decodes single JSON documents into the values encoding/json
// produces for an any with UseNumber (map[string]any, []any, string,
// json.Number, bool, nil), with the NDJSON reader's parser. It keeps its
// scratch space and tables of repeated keys and values between calls; it
// is not safe for concurrent use.
type Parser struct{ p parser }

// Parse decodes b, one JSON value with optional whitespace around it. The
// result does not alias b. Errors are encoding/json's.
func (p *Parser) Parse(b []byte) (any, error) {
	v, err := p.p.parse(b)
	if err != nil {
		v, _, err = stdDecode(b)
	}
	return v, err
}

// Encoder appends compact JSON, byte for byte what a json.Encoder with
// SetEscapeHTML(false) writes without its trailing newline (json.Marshal
// but for <, > and & left as they are). It keeps scratch space between
// calls; it is not safe for concurrent use.
type Encoder struct{ e encoder }

// Append appends v as JSON to b.
func (e *Encoder) Append(b []byte, v any) ([]byte, error) { return e.e.append(b, v) }

// AppendString appends s as a JSON string, as Encoder does.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }
