package engine

import (
	"encoding/json"
	"io"
)

// RejectRecord is one line of a rejects file: the message and why it was
// rejected. Record holds the decoded input; Raw the undecodable bytes.
type RejectRecord struct {
	Seq      int            `json:"seq"`
	Line     int            `json:"line,omitempty"`
	Key      string         `json:"key,omitempty"`
	Rule     string         `json:"rule"`
	Message  string         `json:"message"`
	Location string         `json:"location,omitempty"`
	Record   map[string]any `json:"record,omitempty"`
	Raw      string         `json:"raw,omitempty"`
}

type rejectWriter struct {
	w   io.Writer
	enc *json.Encoder
}

func (rw *rejectWriter) write(r *Result) error {
	if rw.enc == nil {
		rw.enc = json.NewEncoder(rw.w)
		rw.enc.SetEscapeHTML(false)
	}
	return rw.enc.Encode(RejectRecordOf(r))
}

// RejectRecordOf turns a rejected result into its rejects-file form.
func RejectRecordOf(r *Result) RejectRecord {
	rr := RejectRecord{Seq: r.Seq, Line: r.Line, Key: r.Key, Record: r.Input}
	if r.Reject != nil {
		rr.Rule, rr.Message, rr.Location = r.Reject.Rule, r.Reject.Message, r.Reject.Location
	}
	if r.Raw != nil {
		rr.Raw = string(r.Raw)
	}
	return rr
}
