package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are Frontdesk's Prometheus metrics, on a registry of their own.
// They implement bot.Metrics, queue.InboxMetrics and queue.PoolMetrics, and
// ObserveAPI fits greenapi.Config.Observe.
type Metrics struct {
	reg           *prometheus.Registry
	notifications *prometheus.CounterVec
	rejected      *prometheus.CounterVec
	processed     *prometheus.HistogramVec
	failures      *prometheus.CounterVec
	depth         prometheus.Gauge
	apiCalls      *prometheus.CounterVec
	apiLatency    *prometheus.HistogramVec
	sent          *prometheus.CounterVec
	firstContacts *prometheus.CounterVec
	lookupFailed  *prometheus.CounterVec
	gaveUp        *prometheus.CounterVec
	quota         prometheus.Counter
	events        *prometheus.CounterVec
	eventsWaiting prometheus.Gauge
	eventsDead    prometheus.Gauge
	conversation  *prometheus.CounterVec
	answered      *prometheus.HistogramVec
	calls         *prometheus.CounterVec
	instances     *Instances // see Watch
}

// NewMetrics registers every metric.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		notifications: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_notifications_total",
			Help: "Notifications accepted, by typeWebhook and outcome (stored, duplicate, ignored, dead_letter)."}, []string{"type", "outcome"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_webhook_rejected_total",
			Help: "Webhook requests refused, by reason."}, []string{"reason"}),
		processed: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "frontdesk_processing_seconds",
			Help: "Time to process one stored notification.", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"type"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_processing_failures_total",
			Help: "Failed attempts to process a notification (retried later)."}, []string{"type"}),
		depth: prometheus.NewGauge(prometheus.GaugeOpts{Name: "frontdesk_inbox_depth",
			Help: "Stored notifications not yet processed."}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_greenapi_calls_total",
			Help: "Green API calls, by method and HTTP status (0: no answer)."}, []string{"method", "status"}),
		apiLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "frontdesk_greenapi_call_seconds",
			Help: "Green API call latency.", Buckets: prometheus.ExponentialBuckets(0.005, 3, 9)}, []string{"method"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_messages_sent_total",
			Help: "Messages sent, by kind (reply, summary)."}, []string{"kind"}),
		firstContacts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_first_contacts_total",
			Help: "First contacts, by the rule that matched, its tag and the locale."}, []string{"rule", "tag", "locale"}),
		lookupFailed: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_lookup_failures_total",
			Help: "First contacts greeted without the profile, by why the lookup failed (after its retries, or when LOOKUP_TIMEOUT ran out)."}, []string{"reason"}),
		gaveUp: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_messages_given_up_total",
			Help: "Replies or summaries Green API refused for good."}, []string{"reason"}),
		quota: prometheus.NewCounter(prometheus.CounterOpts{Name: "frontdesk_quota_exceeded_total",
			Help: "quotaExceeded notifications received."}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_event_deliveries_total",
			Help: "Attempts to deliver an event to EVENTS_URL, by outcome (delivered, failed: retried later, dead: given up after a day)."}, []string{"outcome"}),
		eventsWaiting: prometheus.NewGauge(prometheus.GaugeOpts{Name: "frontdesk_events_waiting",
			Help: "Events in the outbox not yet delivered (on the replica that delivers; counted every 15 s)."}),
		eventsDead: prometheus.NewGauge(prometheus.GaugeOpts{Name: "frontdesk_events_dead",
			Help: "Events kept in the outbox that could not be delivered within a day."}),
	}
	m.conversation = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_conversation_total",
		Help: "What happened around greetings: opted_out, opted_in (stop and start words), human_wrote (a person of the business wrote from the phone), ignored (IGNORE_CHATS), away (an away reply to a known sender), language_chosen, chosen and choice_timed_out (a greeting's menu answered, or its wait ended), choice_hint, skipped_human and skipped_opted_out (a greeting or an automatic message not sent), answer (a sender's button reply or poll vote) and event (a sender's edit, deletion or reaction): never a first contact; reminded and escalated (no person answered a contact in time), held (the customer told with the reminder)."}, []string{"event"})
	m.reg.MustRegister(m.conversation)
	m.answered = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "frontdesk_time_to_answer_seconds",
		Help:    "Time from a customer's first message to the first answer of a person of the business in their chat, open hours only (with [hours]), by rule, choice and how the person wrote (phone, api).",
		Buckets: []float64{60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 259200}}, []string{"rule", "choice", "by"})
	m.reg.MustRegister(m.answered)
	m.calls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_calls_total",
		Help: "WhatsApp calls to the number from personal chats (incomingCall, with incomingCallWebhook on), by status: offer when it rings, then how it ended: pickUp (answered), hangUp, missed or declined (nobody picked up: the caller is answered with call_reply)."}, []string{"status"})
	m.reg.MustRegister(m.calls)
	m.reg.MustRegister(m.notifications, m.rejected, m.processed, m.failures, m.depth, m.apiCalls, m.apiLatency,
		m.sent, m.firstContacts, m.lookupFailed, m.gaveUp, m.quota, m.events, m.eventsWaiting, m.eventsDead,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// The metrics of each instance, labelled with its id: few, so that a
// deployment of thousands of numbers stays a few thousand series.
var (
	instanceAuthorized = prometheus.NewDesc("frontdesk_instance_authorized",
		"1 while the Green API instance was last seen authorized (getStateInstance or stateInstanceChanged), else 0.", []string{"id_instance"}, nil)
	instancePaused = prometheus.NewDesc("frontdesk_greenapi_paused",
		"1 while calls to the instance are paused because it does not answer its probe, else 0.", []string{"id_instance"}, nil)
	instanceStored = prometheus.NewDesc("frontdesk_instance_notifications_stored_total",
		"Notifications of the instance stored in the inbox (since the instance was added to this process).", []string{"id_instance"}, nil)
	instanceFirstContacts = prometheus.NewDesc("frontdesk_instance_first_contacts_total",
		"First contacts of the instance (since it was added to this process).", []string{"id_instance"}, nil)
)

// instanceCollector exports the per-instance metrics of the instances
// served at the time of the scrape: a removed instance's series go with it.
type instanceCollector struct{ instances *Instances }

func (c instanceCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- instanceAuthorized
	ch <- instancePaused
	ch <- instanceStored
	ch <- instanceFirstContacts
}

func (c instanceCollector) Collect(ch chan<- prometheus.Metric) {
	for _, inst := range c.instances.All() {
		authorized, paused := 0.0, 0.0
		if state, _, err := inst.Get(); err == nil && state == "authorized" {
			authorized = 1
		}
		if inst.Paused() != nil {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(instanceAuthorized, prometheus.GaugeValue, authorized, inst.ID)
		ch <- prometheus.MustNewConstMetric(instancePaused, prometheus.GaugeValue, paused, inst.ID)
		ch <- prometheus.MustNewConstMetric(instanceStored, prometheus.CounterValue, float64(inst.stored.Load()), inst.ID)
		ch <- prometheus.MustNewConstMetric(instanceFirstContacts, prometheus.CounterValue, float64(inst.firstContacts.Load()), inst.ID)
	}
}

// Watch exports the per-instance metrics of the instances in set; call it
// once.
func (m *Metrics) Watch(set *Instances) {
	m.instances = set
	m.reg.MustRegister(instanceCollector{set})
}

// Of returns the metrics of one instance's bot: the process's counters,
// and the instance's own.
func (m *Metrics) Of(inst *Instance) *InstanceMetrics { return &InstanceMetrics{m, inst} }

// InstanceMetrics implements bot.Metrics for one instance's bot.
type InstanceMetrics struct {
	*Metrics
	inst *Instance
}

// FirstContact implements bot.Metrics.
func (m *InstanceMetrics) FirstContact(rule, tag, locale string) {
	m.Metrics.FirstContact(rule, tag, locale)
	m.inst.firstContacts.Add(1)
}

// GreenAPIPaused implements pacing.GuardMetrics: the instance's gauge reads
// the pause from its state, which the guard's OnChange keeps.
func (m *InstanceMetrics) GreenAPIPaused(bool) {}

// Handler serves the metrics in Prometheus' format.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// Accepted implements queue.InboxMetrics.
func (m *Metrics) Accepted(instance, typ string, outcome queue.Outcome) {
	m.notifications.WithLabelValues(typ, string(outcome)).Inc()
	if outcome == queue.Stored && m.instances != nil {
		if inst := m.instances.Get(instance); inst != nil {
			inst.stored.Add(1)
		}
	}
}

// QuotaExceeded implements queue.InboxMetrics.
func (m *Metrics) QuotaExceeded(string) { m.quota.Inc() }

// Rejected counts a refused webhook request.
func (m *Metrics) Rejected(reason string) { m.rejected.WithLabelValues(reason).Inc() }

// Processed implements queue.PoolMetrics.
func (m *Metrics) Processed(typ string, d time.Duration, err error) {
	if err != nil {
		m.failures.WithLabelValues(typ).Inc()
		return
	}
	m.processed.WithLabelValues(typ).Observe(d.Seconds())
}

// InboxDepth implements queue.PoolMetrics.
func (m *Metrics) InboxDepth(n int) { m.depth.Set(float64(n)) }

// ObserveAPI records one Green API call.
func (m *Metrics) ObserveAPI(method string, status int, d time.Duration) {
	m.apiCalls.WithLabelValues(method, strconv.Itoa(status)).Inc()
	m.apiLatency.WithLabelValues(method).Observe(d.Seconds())
}

// FirstContact implements bot.Metrics.
func (m *Metrics) FirstContact(rule, tag, locale string) {
	m.firstContacts.WithLabelValues(rule, tag, locale).Inc()
}

// LookupFailed implements bot.Metrics.
func (m *Metrics) LookupFailed(reason string) { m.lookupFailed.WithLabelValues(reason).Inc() }

// MessageSent implements bot.Metrics.
func (m *Metrics) MessageSent(kind string) { m.sent.WithLabelValues(kind).Inc() }

// EventAttempt implements events.Metrics.
func (m *Metrics) EventAttempt(outcome string) { m.events.WithLabelValues(outcome).Inc() }

// EventsWaiting implements events.Metrics.
func (m *Metrics) EventsWaiting(waiting, dead int) {
	m.eventsWaiting.Set(float64(waiting))
	m.eventsDead.Set(float64(dead))
}

// Conversation implements bot.Metrics.
func (m *Metrics) Conversation(event string) { m.conversation.WithLabelValues(event).Inc() }

// Answered implements bot.Metrics.
func (m *Metrics) Answered(rule, choice, by string, waited time.Duration) {
	m.answered.WithLabelValues(rule, choice, by).Observe(waited.Seconds())
}

// Call implements bot.Metrics.
func (m *Metrics) Call(status string) { m.calls.WithLabelValues(status).Inc() }

// GaveUp implements bot.Metrics.
func (m *Metrics) GaveUp(reason string) { m.gaveUp.WithLabelValues(reason).Inc() }
