//go:build unix

package sqlite_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

func TestOneProcessServesADatabaseFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fd.db")
	unlock, err := sqlite.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	// A second claim (another open file, as another process makes) fails,
	// saying who holds it and what to do.
	_, err = sqlite.Lock(path)
	if !errors.Is(err, sqlite.ErrInUse) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) ||
		!strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("second claim: %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := sqlite.Lock(path)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	again()
}
