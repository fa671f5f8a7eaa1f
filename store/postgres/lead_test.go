package postgres_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"github.com/jackc/pgx/v5"
)

// TestOneLeaderAndTakeover: of two replicas one leads a duty; when its
// session dies (as when the replica is SIGKILLed), it learns that it lost
// the lead, and the other wins the next campaign.
func TestOneLeaderAndTakeover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := postgrestest.SchemaURL(t)
	name := "prune-" + t.Name() + time.Now().Format("150405.000000000") // advisory locks are database-wide
	var replicas []*postgres.DB
	for range 2 {
		s, err := postgres.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		replicas = append(replicas, s)
	}
	lost, release, ok, err := replicas[0].TryLead(ctx, name)
	if err != nil || !ok {
		t.Fatalf("first campaign: %v, %v", ok, err)
	}
	if _, _, ok, err := replicas[1].TryLead(ctx, name); err != nil || ok {
		t.Fatalf("second campaign while the first leads: %v, %v; want false", ok, err)
	}
	if _, rel, ok, err := replicas[1].TryLead(ctx, name+"-other"); err != nil || !ok {
		t.Fatalf("another duty: %v, %v; want its own leader", ok, err)
	} else {
		rel()
	}
	// The leader's session is killed from outside.
	admin, err := pgx.Connect(ctx, postgrestest.PlainURL(db))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	var killed int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.objid = hashtext('frontdesk leader ' || $2 || ' ' || $1)::oid`, name, u.Query().Get("search_path")).Scan(&killed); err != nil || killed != 1 {
		t.Fatalf("terminating the leader's session: %d, %v", killed, err)
	}
	select {
	case <-lost:
	case <-time.After(10 * time.Second):
		t.Fatal("the leader did not learn that it lost the lead")
	}
	release()
	if _, rel, ok, err := replicas[1].TryLead(ctx, name); err != nil || !ok {
		t.Fatalf("campaign after the leader died: %v, %v; want the lead", ok, err)
	} else {
		rel()
	}
}

// TestLeadersOfTwoSchemas is issue #24's item 13: two deployments in two
// schemas of one database each have a leader of the same duty; the second
// never led (it never delivered events) while advisory lock keys were
// database-wide.
func TestLeadersOfTwoSchemas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	name := "events-" + t.Name() + time.Now().Format("150405.000000000")
	for range 2 {
		s, err := postgres.Open(ctx, postgrestest.SchemaURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, release, ok, err := s.TryLead(ctx, name)
		if err != nil || !ok {
			t.Fatalf("the deployment of another schema does not lead %s: %v, %v", name, ok, err)
		}
		defer release()
	}
}
