package bankfeed

import (
	"errors"
	"fmt"
)

// ErrorCode classifies an Error. Faces map codes to exit statuses and HTTP
// statuses in one table each.
type ErrorCode string

// Error codes shared by every layer.
const (
	EInvalid      ErrorCode = "invalid"      // bad input: a file, a flag, a field
	ENotFound     ErrorCode = "not_found"    // no such account, import, ...
	EConflict     ErrorCode = "conflict"     // a uniqueness or state conflict
	EUnauthorized ErrorCode = "unauthorized" // credentials or permission
	EInternal     ErrorCode = "internal"     // a bug or an environment failure
)

// Error is the domain error: a code, a message safe to show a user, and the
// cause it wraps (which may hold detail that is not shown).
type Error struct {
	Code    ErrorCode
	Message string
	Err     error
}

// Errorf returns an *Error with a formatted message. A %w verb wraps the cause.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

func (e *Error) Error() string {
	if e.Message != "" {
		return e.Message
	}
	if e.Err != nil {
		return e.Err.Error()
	}
	return string(e.Code)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrorCodeOf returns the code of the first *Error in err's chain, EInternal
// for any other non-nil error, and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}
