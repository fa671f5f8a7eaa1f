// Package schema holds the JSON Schema of the events Frontdesk sends to
// EVENTS_URL (events.schema.json), compiled for whoever checks an event
// against it: the tests, or a receiver in Go. The service does not use it.
package schema

import (
	"bytes"
	_ "embed"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Events is events.schema.json.
//
//go:embed events.schema.json
var Events []byte

// CompileEvents returns the events' schema, ready to validate bodies.
func CompileEvents() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Events))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("events.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("events.schema.json")
}

// Validate checks one event body against s.
func Validate(s *jsonschema.Schema, body []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return s.Validate(v)
}
