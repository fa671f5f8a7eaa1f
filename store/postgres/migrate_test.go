package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"github.com/jackc/pgx/v5"
)

// TestMigrationKeepsSingleInstanceData upgrades a database written by a
// single-instance Frontdesk (schema 5): its rows stay, under no instance,
// until its instance adopts them.
func TestMigrationKeepsSingleInstanceData(t *testing.T) {
	ctx := context.Background()
	url := postgrestest.SchemaURL(t)
	conn, err := pgx.Connect(ctx, postgrestest.PlainURL(url))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"001_init.sql", "002_paces.sql", "003_owners.sql", "004_replicas.sql", "005_events.sql"} {
		script, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, string(script)); err != nil {
			t.Fatal(name, err)
		}
		if _, err := conn.Exec(ctx, fmt.Sprintf(`INSERT INTO schema_migrations (version) VALUES (%d)`, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{
		`INSERT INTO notifications (chat_id, id_message, type_webhook, body, received_at) VALUES ('1@c.us', 'A', 'incomingMessageReceived', '{}', now())`,
		`INSERT INTO chats (chat_id, last_activity_at, first_contact_msg) VALUES ('1@c.us', now(), 'A')`,
		`INSERT INTO profiles (chat_id, info, fetched_at) VALUES ('1@c.us', '{"name":"Ana"}', now())`,
		`INSERT INTO first_contacts (chat_id, id_message, step, created_at, updated_at) VALUES ('1@c.us', 'A', 'done', now(), now())`,
		`INSERT INTO events (id, chat_id, body, created_at, next_at) VALUES ('e1', '1@c.us', '{}', now(), now())`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	conn.Close(ctx)

	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.PendingOf(ctx, ""); err != nil || n != 1 {
		t.Fatalf("pending of no instance after the migration = %d, %v; want the old notification", n, err)
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
	if _, err := db.GetFirstContact(ctx, "1101000001", "1@c.us", "A"); err != nil {
		t.Errorf("adopted first contact: %v", err)
	}
}
