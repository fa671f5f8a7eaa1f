package handlers

import (
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
)

// answerRow is one rule's (or one operator's) time to answer as the
// status page shows it: how many customers a person answered, and the
// median and the 90th percentile of their waits, over the last day and the
// last week.
type answerRow struct {
	Name       string
	Day, Week  int
	DayMedian  time.Duration
	DayP90     time.Duration
	WeekMedian time.Duration
	WeekP90    time.Duration
	// Rated is how many of the week's customers rated the answer (the
	// follow-up question), Rating their average, 1 to 5.
	Rated  int
	Rating float64
}

// answerRows sums up the waits of the last week (week) and those of its
// last day (day), per rule, the busiest rule first, then "all".
func answerRows(day, week []bot.AnswerTime) []answerRow {
	return groupWaits(day, week, func(a bot.AnswerTime) []string { return []string{a.Rule, lastRow} }, "all")
}

// operatorRows sums them up per operator who claimed the contact, the
// busiest first, then the contacts no one claimed.
func operatorRows(day, week []bot.AnswerTime) []answerRow {
	return groupWaits(day, week, func(a bot.AnswerTime) []string {
		if a.Operator == "" {
			return []string{lastRow}
		}
		return []string{a.Operator}
	}, "not claimed")
}

// lastRow is the key of the row groupWaits puts after the others.
const lastRow = "\x00"

// groupWaits sums up the waits in the rows that keys names for each, the
// busiest first; the row lastRow, named lastName, comes after the others.
func groupWaits(day, week []bot.AnswerTime, keys func(bot.AnswerTime) []string, lastName string) []answerRow {
	by := func(list []bot.AnswerTime) map[string][]time.Duration {
		m := map[string][]time.Duration{}
		for _, a := range list {
			for _, k := range keys(a) {
				m[k] = append(m[k], a.Waited)
			}
		}
		return m
	}
	ratings := map[string][]int{}
	for _, a := range week {
		if a.Rating > 0 {
			for _, k := range keys(a) {
				ratings[k] = append(ratings[k], a.Rating)
			}
		}
	}
	d, w := by(day), by(week)
	rows := make([]answerRow, 0, len(w))
	for key, waits := range w {
		r := answerRow{Name: key, Week: len(waits)}
		r.WeekMedian, r.WeekP90 = percentile(waits, 50), percentile(waits, 90)
		if dw := d[key]; len(dw) > 0 {
			r.Day = len(dw)
			r.DayMedian, r.DayP90 = percentile(dw, 50), percentile(dw, 90)
		}
		if rs := ratings[key]; len(rs) > 0 {
			sum := 0
			for _, v := range rs {
				sum += v
			}
			r.Rated, r.Rating = len(rs), float64(sum)/float64(len(rs))
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if (rows[i].Name == lastRow) != (rows[j].Name == lastRow) {
			return rows[j].Name == lastRow
		}
		if rows[i].Week != rows[j].Week {
			return rows[i].Week > rows[j].Week
		}
		return rows[i].Name < rows[j].Name
	})
	if n := len(rows); n > 0 && rows[n-1].Name == lastRow {
		rows[n-1].Name = lastName
	}
	return rows
}

// percentile is the p-th percentile of waits by the nearest rank.
func percentile(waits []time.Duration, p int) time.Duration {
	if len(waits) == 0 {
		return 0
	}
	s := slices.Clone(waits)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100 // ceil(p/100 × n)
	return s[max(rank, 1)-1]
}

// words says a wait the way a person would: "45 s", "12 min", "3 h 5 min",
// "2 d 4 h".
func words(d time.Duration) string {
	switch d = d.Round(time.Second); {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " s"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " min"
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return strconv.Itoa(h) + " h"
		}
		return strconv.Itoa(h) + " h " + strconv.Itoa(m) + " min"
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return strconv.Itoa(days) + " d"
	}
	return strconv.Itoa(days) + " d " + strconv.Itoa(h) + " h"
}
