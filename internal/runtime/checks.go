package runtime

import (
	"fmt"
	"sort"
	"strings"

	"github.com/temblor-dev/temblor/internal/diag"
)

// claim implements pipeline.OpEnv.Claim for every pipeline of the
// deployment.
func (r *Runtime) claim(resource, who string) (string, bool) {
	if prev, taken := r.claims[resource]; taken {
		return prev, false
	}
	r.claims[resource] = who
	return "", true
}

// checkCycles refuses pipelines linked in a cycle (one linked to itself, or
// a → b → a across any bindings): an event would go round forever, and
// since a pipeline blocks until the next one takes its event, the
// pipelines deadlock at the first event. It reports each cycle once, at
// the link that closes it, with the whole loop.
func (r *Runtime) checkCycles() error {
	nodes := make([]string, 0, len(r.pipeEdges))
	for n := range r.pipeEdges {
		nodes = append(nodes, n)
	}
	sort.Strings(nodes)
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []pipeEdge // the edges from the DFS root to the current node
	var errs diag.List
	var visit func(n string)
	visit = func(n string) {
		state[n] = onPath
		for _, e := range r.pipeEdges[n] {
			switch state[e.to] {
			case onPath:
				// The loop is the part of the path from e.to, plus e.
				start := len(path)
				for start > 0 && path[start-1].to != e.to {
					start--
				}
				loop := append(append([]pipeEdge(nil), path[start:]...), e)
				hops := []string{e.to}
				var where []string
				for _, l := range loop {
					hops = append(hops, fmt.Sprintf("(%s) %s", l.port, l.to))
					where = append(where, l.pos.String())
				}
				msg := fmt.Sprintf("pipeline %s is linked to itself (its `%s` port to its `in`)", e.to, e.port)
				if len(loop) > 1 {
					msg = "pipelines are linked in a cycle: " + strings.Join(hops, " -> ")
				}
				errs = append(errs, e.pos.Diag(msg+"; events would go round forever and the pipelines would wait on each other for good",
					"links must lead from onramps through pipelines to offramps without coming back; remove one of these links: "+strings.Join(where, ", ")))
			case unseen:
				path = append(path, e)
				visit(e.to)
				path = path[:len(path)-1]
			}
		}
		state[n] = done
	}
	for _, n := range nodes {
		if state[n] == unseen {
			visit(n)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
