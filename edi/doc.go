// Package edi is flowctl's X12 and UN/EDIFACT library: streaming
// tokenizers, the document model and its JSON form, envelope validation,
// transaction-set definitions as data, acknowledgements (997, 999, TA1,
// CONTRL) and a writer. It is a leaf: it imports nothing from dsl, engine
// or connectors.
//
// File ownership while it is being built (one concept per file group):
//
//	token*.go            tokenizer: Reader, Segment, Delimiters, Format, SyntaxError
//	model*.go, json*.go  document tree, its JSON form, rendering back to EDI
//	envelope*.go         envelope checks (counts, control numbers), Issue
//	writer*.go           Writer with control-number sequencing
//	defs*.go, defs/      transaction-set definitions (data) and structural validation
//	ack*.go              997, 999, TA1 and CONTRL generation and parsing
package edi
