// Command rivereval measures River (github.com/riverqueue/river) against
// Frontdesk's own PostgreSQL inbox on the figures DESIGN.md decides by:
// durable enqueues a second from 64 concurrent webhook handlers, the
// duplicate check on chat and message id, and whether one chat's jobs are
// worked in order. It is a module of its own, so that River is not a
// dependency of Frontdesk unless chosen:
//
//	cd bench/rivereval && go run . -postgres 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// NotificationArgs is a stored webhook as a River job: unique on the chat
// and the message id, as Frontdesk's inbox is.
type NotificationArgs struct {
	ChatID    string          `json:"chat_id" river:"unique"`
	IDMessage string          `json:"id_message" river:"unique"`
	Body      json.RawMessage `json:"body"`
}

// Kind implements river.JobArgs.
func (NotificationArgs) Kind() string { return "notification" }

type worker struct {
	river.WorkerDefaults[NotificationArgs]
	mu    sync.Mutex
	order map[string][]string // chat → message ids in the order worked
	done  atomic.Int64
}

func (w *worker) Work(_ context.Context, job *river.Job[NotificationArgs]) error {
	time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond) // work of varying length, as lookups and sends are
	w.mu.Lock()
	w.order[job.Args.ChatID] = append(w.order[job.Args.ChatID], job.Args.IDMessage)
	w.mu.Unlock()
	w.done.Add(1)
	return nil
}

var body = json.RawMessage(`{"typeWebhook":"incomingMessageReceived","instanceData":{"idInstance":1101000001,"wid":"71231234567@c.us","typeInstance":"whatsapp"},"timestamp":1588091580,"idMessage":"F7AEC1B7086ECDC7E6E45923F5EDB825","senderData":{"chatId":"79001234567@c.us","sender":"79001234567@c.us","senderName":"Ivan"},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"Hello, do you sell parts?"}}}`)

func main() {
	server := flag.String("postgres", postgrestest.ServerURL(), "the PostgreSQL server")
	n := flag.Int("n", 20000, "notifications to enqueue")
	conc := flag.Int("c", 64, "concurrent handlers")
	chats := flag.Int("chats", 20, "chats the ordering run spreads its jobs over (fewer than the workers, as when a few chats are busy)")
	flag.Parse()
	ctx := context.Background()
	fmt.Printf("rivereval: %d enqueues by %d handlers; PostgreSQL %s\n", *n, *conc, postgrestest.PlainURL(*server))

	ours, err := enqueueOurs(ctx, *server, *n, *conc)
	check(err)
	fmt.Printf("frontdesk store/postgres (group commit): %6.0f enqueues/s\n", ours)
	single, batch, dupes, err := enqueueRiver(ctx, *server, *n, *conc)
	check(err)
	fmt.Printf("river Insert, one a handler:             %6.0f enqueues/s (%.0f%% of ours); duplicates refused: %d of %d\n", single, 100*single/ours, dupes, 100)
	fmt.Printf("river InsertMany, 64 a call (a batching layer we would write): %6.0f enqueues/s\n", batch)
	inOrder, outOfOrder, err := workRiver(ctx, *server, *chats)
	check(err)
	fmt.Printf("river, one chat's jobs worked in order: %d chats in order, %d chats out of order (MaxWorkers 100, %d chats × 10 jobs)\n", inOrder, outOfOrder, *chats)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func run(n, conc int, f func(i int) error) (float64, error) {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func enqueueOurs(ctx context.Context, server string, n, conc int) (float64, error) {
	db, drop, err := postgrestest.NewSchema(ctx, server, "rivereval_ours")
	if err != nil {
		return 0, err
	}
	defer drop()
	store, err := postgres.Open(ctx, db)
	if err != nil {
		return 0, err
	}
	defer store.Close()
	return run(n, conc, func(i int) error {
		_, err := store.AddNotification(ctx, queue.Notification{ChatID: fmt.Sprintf("7900%07d@c.us", i%5000), IDMessage: fmt.Sprint("M", i),
			TypeWebhook: "incomingMessageReceived", Body: body, ReceivedAt: time.Now()})
		return err
	})
}

func riverSchema(ctx context.Context, server, prefix string) (*pgxpool.Pool, func(), error) {
	db, drop, err := postgrestest.NewSchema(ctx, server, prefix)
	if err != nil {
		return nil, nil, err
	}
	pool, err := pgxpool.New(ctx, db)
	if err != nil {
		drop()
		return nil, nil, err
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err == nil {
		_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
	}
	if err != nil {
		pool.Close()
		drop()
		return nil, nil, err
	}
	return pool, func() { pool.Close(); drop() }, nil
}

func enqueueRiver(ctx context.Context, server string, n, conc int) (single, batch float64, dupes int, err error) {
	pool, drop, err := riverSchema(ctx, server, "rivereval_river")
	if err != nil {
		return 0, 0, 0, err
	}
	defer drop()
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{}) // insert-only
	if err != nil {
		return 0, 0, 0, err
	}
	unique := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
	single, err = run(n, conc, func(i int) error {
		_, err := client.Insert(ctx, NotificationArgs{ChatID: fmt.Sprintf("7900%07d@c.us", i%5000), IDMessage: fmt.Sprint("M", i), Body: body}, unique)
		return err
	})
	if err != nil {
		return 0, 0, 0, err
	}
	for i := range 100 { // Green API sends again: each must be refused
		res, err := client.Insert(ctx, NotificationArgs{ChatID: fmt.Sprintf("7900%07d@c.us", i%5000), IDMessage: fmt.Sprint("M", i), Body: body}, unique)
		if err != nil {
			return 0, 0, 0, err
		}
		if res.UniqueSkippedAsDuplicate {
			dupes++
		}
	}
	const per = 64
	batch, err = run(n/per, conc, func(i int) error {
		params := make([]river.InsertManyParams, per)
		for k := range params {
			params[k] = river.InsertManyParams{Args: NotificationArgs{ChatID: fmt.Sprintf("7901%07d@c.us", (i*per+k)%5000), IDMessage: fmt.Sprint("B", i*per+k), Body: body}, InsertOpts: unique}
		}
		_, err := client.InsertMany(ctx, params)
		return err
	})
	return single, batch * per, dupes, err
}

// workRiver inserts 10 jobs a chat, in order, and works them with River's
// defaults: it reports how many chats were worked in order.
func workRiver(ctx context.Context, server string, chats int) (inOrder, outOfOrder int, err error) {
	pool, drop, err := riverSchema(ctx, server, "rivereval_work")
	if err != nil {
		return 0, 0, err
	}
	defer drop()
	w := &worker{order: make(map[string][]string)}
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues:  map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 100}},
		Workers: workers,
		Logger:  nil,
	})
	if err != nil {
		return 0, 0, err
	}
	for m := range 10 {
		params := make([]river.InsertManyParams, chats)
		for c := range params {
			params[c] = river.InsertManyParams{Args: NotificationArgs{ChatID: fmt.Sprint("chat", c), IDMessage: fmt.Sprintf("%02d", m), Body: body}}
		}
		if _, err := client.InsertMany(ctx, params); err != nil {
			return 0, 0, err
		}
	}
	if err := client.Start(ctx); err != nil {
		return 0, 0, err
	}
	deadline := time.Now().Add(time.Minute)
	for w.done.Load() < int64(10*chats) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = client.Stop(stopCtx)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ids := range w.order {
		if sort.StringsAreSorted(ids) && len(ids) == 10 {
			inOrder++
		} else {
			outOfOrder++
		}
	}
	return inOrder, outOfOrder, nil
}

func init() { log.SetOutput(os.Stderr) }
