// Package edi will hold the X12 and EDIFACT library: streaming tokenizers,
// the document model, envelope validation, acknowledgements and the writer.
// It is a leaf: it imports nothing from dsl, engine or connectors.
package edi
