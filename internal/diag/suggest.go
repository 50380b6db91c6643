package diag

import "strings"

// Closest returns the candidate nearest to name by edit distance when it is
// close enough to be a plausible typo, else "". It is what every "did you
// mean" in temblor uses. A candidate that the name starts, or that
// starts the name (`timeout` for `timeout_ms`), counts as close.
func Closest(name string, candidates []string) string {
	best, bestD := "", -1
	lname := strings.ToLower(name)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		if len(name) >= 3 && len(c) >= 3 && (strings.HasPrefix(lc, lname) || strings.HasPrefix(lname, lc)) {
			return c
		}
		d := levenshtein(lname, lc)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(len(name)/3, 2)
	if bestD >= 0 && bestD <= limit {
		return best
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
