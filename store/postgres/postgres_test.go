package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"github.com/frontdesk-bot/frontdesk/store/storetest"
)

func open(t *testing.T, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store { return open(t, postgrestest.SchemaURL(t)) })
}

func TestProcessesStartingTogetherMigrateOnce(t *testing.T) {
	url := postgrestest.SchemaURL(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			db, err := postgres.Open(ctx, url)
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: %v", i, err)
		}
	}
	db := open(t, url)
	n := queue.Notification{ChatID: "1@c.us", IDMessage: "A", TypeWebhook: "incomingMessageReceived", Body: []byte("{}"), ReceivedAt: time.Now()}
	if id, err := db.AddNotification(ctx, n); err != nil || id == 0 {
		t.Fatalf("AddNotification = %d, %v", id, err)
	}
	db.Close()
	db = open(t, url) // opening again keeps the data
	if n, err := db.CountPending(ctx); err != nil || n != 1 {
		t.Errorf("after reopening: %d pending, %v; want 1", n, err)
	}
}

func TestOpenNamesWhatIsWrong(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://nobody:secret-password@127.0.0.1:1/none?connect_timeout=2")
	if err == nil {
		t.Fatal("opened a database that is not there")
	}
	if strings.Contains(err.Error(), "secret-password") {
		t.Errorf("the error shows the password: %v", err)
	}
}
