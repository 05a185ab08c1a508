package classify

import "github.com/eventproc/eventproc/event"

// sourceKeyword is a lower-case ASCII word whose occurrence anywhere in a
// source id (case-insensitive substring) is evidence for its category.
type sourceKeyword struct {
	word     string
	category event.Category
}

// sourceKeywords are the default keywords: the four base keywords (alert, user, monitor, system) plus
// transaction words and a few near synonyms, chosen because they are how
// services are commonly named. Substring matching is deliberate: "users",
// "user_svc" and "UserService" all match "user"; the price is rare false
// hits such as "border" matching "order".
var sourceKeywords = [...]sourceKeyword{
	{"system", event.CategorySystem},
	{"kernel", event.CategorySystem},
	{"infra", event.CategorySystem},

	{"user", event.CategoryUser},
	{"login", event.CategoryUser},
	{"session", event.CategoryUser},
	{"account", event.CategoryUser},

	{"payment", event.CategoryTransaction},
	{"order", event.CategoryTransaction},
	{"txn", event.CategoryTransaction},
	{"transaction", event.CategoryTransaction},
	{"checkout", event.CategoryTransaction},
	{"invoice", event.CategoryTransaction},
	{"billing", event.CategoryTransaction},

	{"monitor", event.CategoryMonitoring},
	{"metric", event.CategoryMonitoring},
	{"health", event.CategoryMonitoring},

	{"alert", event.CategoryAlert},
	{"alarm", event.CategoryAlert},
	{"incident", event.CategoryAlert},
}

// matchSourceKeywords reports which categories have a keyword of the
// compiled-in rules occurring in sourceID, ignoring ASCII case.
func matchSourceKeywords(sourceID []byte) [event.NumCategories]bool {
	return defaultClassifier.matchSourceKeywords(sourceID)
}

// matchSourceKeywords reports which categories have a keyword occurring in
// sourceID, ignoring ASCII case. It does not allocate.
func (c *Classifier) matchSourceKeywords(sourceID []byte) (matched [event.NumCategories]bool) {
	for i := range sourceID {
		for _, k := range c.byFirstByte[lowerASCII(sourceID[i])] {
			kw := &c.keywords[k]
			if !matched[kw.category] && hasPrefixFold(sourceID[i:], kw.word) {
				matched[kw.category] = true
			}
		}
	}
	return matched
}

// hasPrefixFold reports whether b starts with the lower-case word, ignoring
// ASCII case in b.
func hasPrefixFold(b []byte, word string) bool {
	if len(b) < len(word) {
		return false
	}
	for j := 1; j < len(word); j++ { // byte 0 already matched via the index
		if lowerASCII(b[j]) != word[j] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
