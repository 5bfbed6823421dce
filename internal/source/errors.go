// Package source opens what the user asked to scan — a docker-archive, an OCI layout, an image in a registry, a
// root filesystem or a project directory — and walks it: image layers as tar streams, read once, with whiteouts,
// opaque directories, hard links and symlinks resolved inside the image root only.
package source

import (
	"errors"
	"fmt"
)

// InputError marks a problem with what the user gave us (a corrupt archive, a missing layer, an unreachable
// registry, bad credentials), as opposed to a bug or an environment failure. The CLI maps it to its own exit
// code, so scripts can tell "your image is broken" from "hullscan is broken".
type InputError struct {
	Err error
}

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// inputErrorf builds an InputError with a formatted, wrapped message.
func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// IsInputError reports whether err (or anything it wraps) is an InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// ErrTooLarge is returned when a layer expands past the configured cap (a decompression bomb, or an image far
// bigger than the user allowed).
var ErrTooLarge = errors.New("uncompressed size exceeds the cap")
