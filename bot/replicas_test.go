package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"golang.org/x/time/rate"
)

// TestReplicasShareTheInstancesLookupTurns: three replicas on one
// PostgreSQL database, behind one Green API instance, each receiving a
// third of 30 new senders. Scaled 10×: the fake allows 10 getContactInfo a
// second for the instance, and each replica would allow itself as many.
// Before the turns were shared, each replica spent its own budget and the
// instance answered 429. The turns are 105 ms apart, the service's 5%
// margin over the limit (bot.DefaultLookupInterval).
func TestReplicasShareTheInstancesLookupTurns(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t, greenapitest.WithLimit(greenapi.MethodGetContactInfo, 10))
	var replicas []*system
	for _, store := range replicaStores(t, 3) {
		replicas = append(replicas, newSystemOn(t, srv, 10*time.Second, func(st *setup) {
			st.store = store
			st.client.Limits = map[string]rate.Limit{greenapi.MethodGetContactInfo: 10}
			st.bot.Lookup = bot.LookupConfig{Interval: 105 * time.Millisecond, Pacer: store, Key: srv.IDInstance + ":getContactInfo"}
		}))
	}
	const senders = 30
	for i := range senders {
		srv.SetContact(chatN(i), greenapi.ContactInfo{Name: fmt.Sprint("Shop ", i), Category: "Retail"})
	}
	start := time.Now()
	for i := range senders {
		_, body := srv.NewIncoming(greenapitest.Incoming{ChatID: chatN(i), Text: "hello"})
		if _, err := replicas[i%3].inbox.Accept(context.Background(), greenapitest.DefaultIDInstance, body); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range replicas {
		r.drain(t, 20*time.Second)
	}
	took := time.Since(start)
	var limited int
	var last time.Time
	minGap := time.Hour
	for _, c := range srv.Calls(greenapi.MethodGetContactInfo) {
		if c.Status == 429 {
			limited++
		}
		if !last.IsZero() && c.At.Sub(last) < minGap {
			minGap = c.At.Sub(last)
		}
		last = c.At
	}
	lookups := len(srv.Calls(greenapi.MethodGetContactInfo))
	t.Logf("RELIABILITY replicas: 3 replicas, %d new senders: %d lookups, %d answered 429, closest two %v apart (the instance allows one per 100 ms here), all greeted in %v",
		senders, lookups, limited, minGap.Round(time.Millisecond), took.Round(time.Millisecond))
	if limited != 0 || lookups != senders {
		t.Errorf("%d lookups, %d answered 429; want %d and 0", lookups, limited, senders)
	}
	// The turns are 105 ms apart at the database; a call can still reach
	// Green API tens of milliseconds late on a loaded machine (CI measured
	// 45 ms once), and the next on time. Without shared turns the replicas
	// call at the same moment, a few milliseconds apart.
	if minGap < 20*time.Millisecond {
		t.Errorf("two lookups %v apart; the instance allows one per 100 ms", minGap)
	}
	for i := range senders {
		if sent := srv.Sent(chatN(i)); len(sent) != 1 || !strings.Contains(sent[0].Message, fmt.Sprint("Shop ", i)) {
			t.Errorf("%s got %+v; want one greeting with its profile", chatN(i), sent)
		}
	}
}

// replicaStores opens n stores on one fresh PostgreSQL schema, each
// registered as a replica of its own, as the service's are: a pool works
// (and reconciles with) only its own replica's notifications.
func replicaStores(t *testing.T, n int) []*postgres.DB {
	t.Helper()
	db := postgrestest.SchemaURL(t)
	stores := make([]*postgres.DB, n)
	for i := range stores {
		store, err := postgres.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		_, release, err := store.Replica(context.Background(), fmt.Sprint("replica-", i))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(release)
		stores[i] = store
	}
	return stores
}
