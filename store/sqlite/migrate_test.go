package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMigrationKeepsSingleInstanceData upgrades a database written by a
// single-instance Frontdesk (schema 3): its rows stay, under no instance,
// until its instance adopts them.
func TestMigrationKeepsSingleInstanceData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := open(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"001_init.sql", "002_health.sql", "003_events.sql"} {
		script, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := old.Exec(string(script)); err != nil {
			t.Fatal(name, err)
		}
		if _, err := old.Exec(fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().UnixMilli()
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO notifications (chat_id, id_message, type_webhook, body, received_at) VALUES ('1@c.us', 'A', 'incomingMessageReceived', '{}', %d)`, now),
		fmt.Sprintf(`INSERT INTO chats (chat_id, last_activity_at, first_contact_msg) VALUES ('1@c.us', %d, 'A')`, now),
		fmt.Sprintf(`INSERT INTO profiles (chat_id, info, fetched_at) VALUES ('1@c.us', '{"name":"Ana"}', %d)`, now),
		fmt.Sprintf(`INSERT INTO first_contacts (chat_id, id_message, step, summary_id, created_at, updated_at) VALUES ('1@c.us', 'A', 'done', 'S1', %d, %d)`, now, now),
		fmt.Sprintf(`INSERT INTO events (id, chat_id, body, created_at, next_at) VALUES ('e1', '1@c.us', '{}', %d, %d)`, now, now),
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending, err := db.PendingNotifications(ctx, 0, 10)
	if err != nil || len(pending) != 1 || pending[0].Instance != "" {
		t.Fatalf("pending after the migration = %+v, %v; want the old notification, of no instance yet", pending, err)
	}
	if n, err := db.AdoptUnassigned(ctx, "1101000001"); err != nil || n != 5 {
		t.Fatalf("AdoptUnassigned = %d, %v; want the 5 rows", n, err)
	}
	if p, err := db.GetProfile(ctx, "1101000001", "1@c.us"); err != nil || p.Info.Name != "Ana" {
		t.Errorf("profile after adoption = %+v, %v", p, err)
	}
	if st, err := db.ClaimFirstContact(ctx, "1101000001", "1@c.us", "B", time.Now(), 0); err != nil || st.Claimed {
		t.Errorf("the old chat writing again: claimed %v, %v; want known", st.Claimed, err)
	}
	// A first contact that ended before answers were tracked waits for no
	// one: not on the status page, never reminded, not in the figures.
	if waiting, err := db.WaitingForAnswer(ctx, 10); err != nil || len(waiting) != 0 {
		t.Errorf("waiting for an answer after the migration: %+v, %v; want none", waiting, err)
	}
	if fc, err := db.GetFirstContact(ctx, "1101000001", "1@c.us", "A"); err != nil || fc.AnsweredBy != "before" {
		t.Errorf("the old first contact after the migration: %+v, %v; want it settled", fc, err)
	}
	if times, err := db.AnswerTimes(ctx, time.Now().Add(-7*24*time.Hour)); err != nil || len(times) != 0 {
		t.Errorf("answer times after the migration: %+v, %v; want none", times, err)
	}
	again := pending[0]
	again.Instance, again.Body = "1101000001", []byte("{}")
	if id, err := db.AddNotification(ctx, again); err != nil || id != 0 {
		t.Errorf("the old notification again = %d, %v; want a duplicate", id, err)
	}
}

// TestClaimFindsItsContactByIndex: the claim's lookup of the message it
// quotes reads the partial indexes of the sent ids, never the whole table.
func TestClaimFindsItsContactByIndex(t *testing.T) {
	t.Parallel()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "fd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rows, err := d.db.Query(`EXPLAIN QUERY PLAN `+qFirstContactBySent, "1101000001", "BAE5")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	for _, index := range []string{"first_contacts_summary_sent", "first_contacts_reminder_sent", "first_contacts_escalation_sent"} {
		if !strings.Contains(got, index) {
			t.Errorf("the plan %q does not use %s", got, index)
		}
	}
	if strings.Contains(got, "SCAN first_contacts") {
		t.Errorf("the plan %q scans the table", got)
	}
}
