package odootest

import (
	"fmt"
	"net/http"
)

// Error is an Odoo exception as the server reports it: Name is the Python
// class (data.name on JSON-RPC, name on JSON-2), Message its text.
// The seeding helpers (Call, Create, ...) return *Error for every failure a
// client would see.
type Error struct {
	Name      string // e.g. "odoo.exceptions.UserError"
	Message   string
	Arguments []any // exception.args; [Message] unless set
}

func (e *Error) Error() string { return e.Name + ": " + e.Message }

// Exception class names, as serialized by Odoo.
const (
	UserError            = "odoo.exceptions.UserError"
	ValidationError      = "odoo.exceptions.ValidationError"
	MissingError         = "odoo.exceptions.MissingError"
	AccessError          = "odoo.exceptions.AccessError"
	AccessDenied         = "odoo.exceptions.AccessDenied"
	ValueError           = "builtins.ValueError"
	AttributeError       = "builtins.AttributeError"
	TypeError            = "builtins.TypeError"
	KeyError             = "builtins.KeyError"
	IndexError           = "builtins.IndexError"
	NameError            = "builtins.NameError"
	SerializationFailure = "psycopg2.errors.SerializationFailure"
	OperationalError     = "psycopg2.OperationalError"

	werkzeugNotFound      = "werkzeug.exceptions.NotFound"
	werkzeugUnprocessable = "werkzeug.exceptions.UnprocessableEntity"
	werkzeugUnauthorized  = "werkzeug.exceptions.Unauthorized"
	werkzeugBadRequest    = "werkzeug.exceptions.BadRequest"
)

func newErr(name, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Name: name, Message: msg}
}

func userErr(format string, args ...any) *Error { return newErr(UserError, format, args...) }
func validationErr(format string, args ...any) *Error {
	return newErr(ValidationError, format, args...)
}
func valueErr(format string, args ...any) *Error { return newErr(ValueError, format, args...) }
func typeErr(format string, args ...any) *Error  { return newErr(TypeError, format, args...) }
func accessErr(format string, args ...any) *Error {
	return newErr(AccessError, format, args...)
}
func accessDenied() *Error { return newErr(AccessDenied, "Access Denied") }

func missingErr(model string, ids []int, uid int) *Error {
	return newErr(MissingError, "Record does not exist or has been deleted.\n(Record: %s, User: %d)",
		recordsetRepr(model, ids), uid)
}

// recordsetRepr renders a recordset as Python does: res.partner(4, 7).
func recordsetRepr(model string, ids []int) string {
	s := model + "("
	for i, id := range ids {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprint(id)
	}
	if len(ids) == 1 {
		s += ","
	}
	return s + ")"
}

// httpErr is a werkzeug HTTPException, as JSON-2 reports them.
func httpErr(name string, code int, desc string) *Error {
	return &Error{Name: name, Message: desc, Arguments: []any{desc, code}}
}

func (e *Error) args() []any {
	if e.Arguments != nil {
		return e.Arguments
	}
	return []any{e.Message}
}

// debug is a traceback-shaped text for data.debug.
func (e *Error) debug() string {
	return "Traceback (most recent call last):\n" +
		"  File \"odootest\", line 1, in <module>\n" +
		e.Name + ": " + e.Message + "\n"
}

// data is the serialized exception: the JSON-RPC error's data and the JSON-2
// error body.
func (e *Error) data() object {
	return object{
		{"name", e.Name},
		{"message", e.Message},
		{"arguments", e.args()},
		{"context", object{}},
		{"debug", e.debug()},
	}
}

// status is the JSON-2 HTTP status (Odoo 19's exception http_status).
func (e *Error) status() int {
	switch e.Name {
	case UserError, ValidationError, werkzeugUnprocessable:
		return http.StatusUnprocessableEntity
	case MissingError, werkzeugNotFound:
		return http.StatusNotFound
	case AccessError:
		return http.StatusForbidden
	case AccessDenied, werkzeugUnauthorized:
		return http.StatusUnauthorized
	case werkzeugBadRequest:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

// faultCode is the XML-RPC fault code of /xmlrpc/2: 4 AccessError,
// 3 AccessDenied, 2 UserError and its subclasses, 1 anything else.
func (e *Error) faultCode() int {
	switch e.Name {
	case AccessError:
		return 4
	case AccessDenied:
		return 3
	case UserError, ValidationError, MissingError:
		return 2
	}
	return 1
}

// faultString is the message for codes 2-4 and the traceback for 1.
func (e *Error) faultString() string {
	if e.faultCode() == 1 {
		return e.debug()
	}
	return e.Message
}

// asError turns any error into an *Error (internal failures become
// builtins.Exception, a 500-class error).
func asError(err error) *Error {
	if e, ok := err.(*Error); ok {
		return e
	}
	return newErr("builtins.Exception", "%s", err.Error())
}
