// Package sqlitetest gives tests a SQLite store of their own.
package sqlitetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

// Open opens the store at path, or in a new file of the test's temporary
// directory when path is "", and closes it when the test ends.
func Open(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "fd.db")
	}
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
