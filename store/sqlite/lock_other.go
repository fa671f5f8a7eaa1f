//go:build !unix

package sqlite

// Lock does nothing where flock is not available: run one process per
// database file there.
func Lock(string) (func() error, error) { return func() error { return nil }, nil }
