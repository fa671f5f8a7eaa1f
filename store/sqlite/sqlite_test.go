package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
	"github.com/frontdesk-bot/frontdesk/store/storetest"
)

// MustOpenDB opens a new database in a temporary directory, closed when the test ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "frontdesk.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store { return MustOpenDB(t) })
}

func TestNotificationsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "frontdesk.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddNotification(ctx, queue.Notification{ChatID: "1@c.us", IDMessage: "A", TypeWebhook: "incomingMessageReceived", Body: []byte("{}"), ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path) // migrations must not run twice
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.CountPending(ctx); n != 1 || err != nil {
		t.Errorf("after reopening: %d pending, %v", n, err)
	}
}

func TestOpenReportsBadPath(t *testing.T) {
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if err == nil {
		t.Fatal("opened a database in a directory that does not exist")
	}
}
