package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

func TestReplicasOwnRescueAndHandBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.SchemaURL(t)
	suffix := fmt.Sprint(time.Now().UnixNano()) // replica locks are database-wide
	open := func(id string) (*postgres.DB, func()) {
		t.Helper()
		s, err := postgres.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		_, release, err := s.Replica(ctx, id+suffix)
		if err != nil {
			t.Fatal(err)
		}
		return s, func() { release(); s.Close() }
	}
	a, stopA := open("a")
	b, stopB := open("b")
	defer stopB()
	if _, _, err := b.Replica(ctx, "a"+suffix); !errors.Is(err, postgres.ErrReplicaInUse) {
		t.Errorf("a second live replica with a's id: %v; want ErrReplicaInUse", err)
	}
	add := func(s *postgres.DB, chat, id string) int64 {
		t.Helper()
		n, err := s.AddNotification(ctx, queue.Notification{Instance: "1101000001", ChatID: chat, IDMessage: id, TypeWebhook: "incomingMessageReceived", Body: []byte("{}"), ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	a1 := add(a, "1@c.us", "A1")
	a2 := add(a, "2@c.us", "A2")
	b1 := add(b, "1@c.us", "B1") // the same chat, later, at the other replica

	// Each lists its own only.
	if got, _ := b.PendingNotifications(ctx, 0, 10); len(got) != 1 || got[0].ID != b1 {
		t.Errorf("b lists %+v; want only its own %d", got, b1)
	}
	// Per-chat order: b's notification of chat 1 waits for a's older one.
	if older, err := b.OlderPending(ctx, "1101000001", "1@c.us", b1); err != nil || !older {
		t.Errorf("OlderPending for b's later notification = %v, %v; want true", older, err)
	}
	if older, err := b.OlderPending(ctx, "1101000002", "1@c.us", b1); err != nil || older {
		t.Errorf("OlderPending for the same chat with another number = %v, %v; want false", older, err)
	}
	if older, err := a.OlderPending(ctx, "1101000001", "1@c.us", a1); err != nil || older {
		t.Errorf("OlderPending for the oldest = %v, %v; want false", older, err)
	}
	// Nothing to rescue while a lives.
	if got, err := b.Rescue(ctx, 10); err != nil || len(got) != 0 {
		t.Errorf("rescue while a lives = %+v, %v; want nothing", got, err)
	}
	// a stops gracefully with a1 in flight: a2 is handed back at once.
	if err := a.HandBack(ctx, []int64{a1}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Rescue(ctx, 10); err != nil || len(got) != 1 || got[0].ID != a2 {
		t.Errorf("rescue after a handed back = %+v, %v; want a2 (%d) only", got, err, a2)
	}
	// a dies: its lock goes with its connection, and a1 is b's to take.
	stopA()
	// The server ends a's session, and drops its lock, a moment after the
	// connection closes: the rescuer, which runs every 2 s, asks again.
	var got []queue.Notification
	var err error
	for deadline := time.Now().Add(5 * time.Second); len(got) == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, err = b.Rescue(ctx, 10); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 1 || got[0].ID != a1 {
		t.Errorf("rescue after a died = %+v; want a1 (%d)", got, a1)
	}
	if got, _ := b.PendingNotifications(ctx, 0, 10); len(got) != 3 {
		t.Errorf("b now lists %d; want all 3", len(got))
	}
	if older, _ := b.OlderPending(ctx, "1101000001", "1@c.us", b1); older {
		t.Error("the older notification of chat 1 is b's own now: b's later one need not wait")
	}
	// A replica restarting with a's id takes nothing from b, and b keeps all.
	a2nd, stopA2 := open("a")
	defer stopA2()
	if got, err := a2nd.Rescue(ctx, 10); err != nil || len(got) != 0 {
		t.Errorf("a restarted rescues %+v, %v; want nothing: b lives", got, err)
	}
}
