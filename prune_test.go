package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/sqlite"
)

func TestPruneDeletesOnlyWhatFinishedBeforeTheCutoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	add := func(i int, finished time.Time) int64 {
		id, err := s.AddNotification(ctx, queue.Notification{ChatID: fmt.Sprintf("%d@c.us", i%50), IDMessage: fmt.Sprint(i),
			TypeWebhook: "incomingMessageReceived", Body: []byte("{}"), ReceivedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if !finished.IsZero() {
			if err := s.FinishNotification(ctx, id, finished); err != nil {
				t.Fatal(err)
			}
		}
		return id
	}
	const old = 2*pruneBatch + 500 // more than one batch
	for i := range old {
		add(i, now.Add(-8*24*time.Hour))
	}
	recent := add(old, now.Add(-time.Hour))
	waiting := add(old+1, time.Time{})

	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, logtest.Writer()), nil))
	if n := pruneOnce(ctx, s, now.Add(-7*24*time.Hour), log); n != old {
		t.Errorf("pruned %d, want the %d finished 8 days ago", n, old)
	}
	for _, id := range []int64{recent, waiting} {
		if _, err := s.GetNotification(ctx, id); err != nil {
			t.Errorf("notification %d, finished an hour ago or not at all, is gone: %v", id, err)
		}
	}
	if !strings.Contains(logs.String(), `"msg":"pruned finished notifications","count":2500`) {
		t.Errorf("nothing logged:\n%s", logs.String())
	}
	if n := pruneOnce(ctx, s, now.Add(-7*24*time.Hour), log); n != 0 {
		t.Errorf("a second prune deleted %d", n)
	}
}

func TestPruneContactsKeepsChatsWhenEveryMessageCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	old := time.Now().Add(-100 * 24 * time.Hour)
	for _, chat := range []string{"1@c.us", "2@c.us"} {
		if _, err := s.ClaimFirstContact(ctx, "1101000001", chat, "M", old, 0); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveProfile(ctx, bot.Profile{Instance: "1101000001", ChatID: chat, FetchedAt: old}); err != nil {
			t.Fatal(err)
		}
	}
	var logs logtest.Buffer
	log := slog.New(slog.NewJSONHandler(io.MultiWriter(&logs, logtest.Writer()), nil))
	// NEW_SENDER_AFTER=0: a chat row is what says the sender is not new, so
	// only the personal data goes.
	pruneContacts(ctx, s, time.Now().Add(-90*24*time.Hour), false, log)
	if st, _ := s.ClaimFirstContact(ctx, "1101000001", "1@c.us", "N", time.Now(), 0); st.Claimed {
		t.Error("with chats kept, a known sender became new")
	}
	if _, err := s.GetProfile(ctx, "1101000001", "1@c.us"); err == nil {
		t.Error("a 100-day-old profile survived a 90-day retention")
	}
	pruneContacts(ctx, s, time.Now().Add(-90*24*time.Hour), true, log)
	if st, _ := s.ClaimFirstContact(ctx, "1101000001", "2@c.us", "N", time.Now(), 0); !st.Claimed {
		t.Error("with chats pruned, a sender silent for 100 days is still known")
	}
	if !strings.Contains(logs.String(), `"msg":"pruned old contacts"`) {
		t.Errorf("nothing logged:\n%s", logs.String())
	}
}
