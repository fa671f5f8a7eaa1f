//go:build unix

package sqlite

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrInUse is returned by Lock when another process serves the database.
var ErrInUse = errors.New("in use by another Frontdesk process")

// Lock claims the database file at path for this process, through an
// exclusive lock on path+".lock" that the kernel releases when the process
// ends, however it ends. A second process that serves the same file fails
// with ErrInUse: the inbox, the lookups' pace and the housekeeping of one
// process assume they are alone on a SQLite file. Commands that only write
// a few rows (frontdesk forget) need no lock. Unlock releases it.
func Lock(path string) (unlock func() error, err error) {
	path = strings.TrimPrefix(path, "file:")
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("sqlite: locking %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(f.Name())
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s is %w (pid %s): SQLite serves one process; run several replicas on PostgreSQL (DATABASE_URL=postgres://…)",
				path, ErrInUse, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("sqlite: locking %s: %w", path, err)
	}
	// Who holds it, for the next one's message.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f.Close, nil // closing the file releases the lock
}
