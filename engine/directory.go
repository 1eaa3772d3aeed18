package engine

import (
	"fmt"

	"github.com/sentinel-auth/sentinel/tuple"
)

// The directory. Workspaces, memberships and groups are tuples of one
// service, the directory service (the store's system service), evaluated
// with its model. A service whose model opts in (ModelOptions.Directory)
// sees that service's tuples of the directory types (workspace and group)
// as its own: the engine mirrors them into the service's part of the
// index, so closures, flattened chains, the reverse index and every query
// work on them unchanged, and the compiled Rego needs no special case.
//
// Mirroring follows the directory in the same batch, like every index
// change:
//
//   - Apply: each change to a directory tuple is applied to every
//     opted-in service too, right after the original, in the same batch
//     (a check sees both or neither);
//   - SetModel: a model that opts in, replacing one that did not, copies
//     every directory tuple; one that does not, replacing one that did,
//     removes the service's tuples of the directory types (an opted-in
//     service has none of its own: the API refuses them and the store
//     refuses the opt-in while it holds any);
//   - DropModel removes them, since no changelog row of the service will;
//   - Replace (a full reload) mirrors into the new index for every
//     opted-in model.
//
// Memory: a mirrored tuple costs what the service's own tuple would
// (forward and reverse index, and its share of closures and chains), for
// each opted-in service; see BenchmarkDirectoryMirror for the figure.
// Sharing the directory's maps instead would save that, but every prune,
// closure and chain keyed by service would need to know about the
// aliasing; copies keep each service's index self-contained.

// ModelOptions are the settings a model version is stored with.
type ModelOptions struct {
	// Directory: the service sees the directory service's tuples of the
	// directory types as its own (read-only). Its model must admit them
	// (policies.CheckDirectory), and its contextual tuples may not be of
	// those types.
	Directory bool
}

// directory reports whether the engine has a directory to mirror.
func (e *Engine) directory() bool {
	return e.opts.DirectoryService != "" && len(e.opts.DirectoryTypes) > 0
}

// directoryTypes is the set of directory types, for a compiled model that
// opted in.
func (e *Engine) directoryTypes() map[string]bool {
	set := make(map[string]bool, len(e.opts.DirectoryTypes))
	for _, t := range e.opts.DirectoryTypes {
		set[t] = true
	}
	return set
}

// checkDirectoryOptIn refuses an opt-in the engine cannot honour.
func (e *Engine) checkDirectoryOptIn(serviceID string) error {
	if !e.directory() {
		return fmt.Errorf("model of service %s opts in to the directory, but the engine has no directory configured (Options.DirectoryService, DirectoryTypes)", serviceID)
	}
	if serviceID == e.opts.DirectoryService {
		return fmt.Errorf("service %s is the directory; its model cannot opt in to it", serviceID)
	}
	return nil
}

// setDirectory brings a service's mirrored tuples in line with its next
// model: copied in when it opts in and was not, removed when it was and
// no longer is. Called under the store's write lock, before the closures
// and chains are recomputed for the model.
func (e *Engine) setDirectory(ts *tuples, serviceID string, prev, next *compiled) {
	was := prev != nil && prev.dirTypes != nil
	is := next != nil && next.dirTypes != nil
	switch {
	case is && !was:
		ts.mirror(e.opts.DirectoryService, serviceID, e.opts.DirectoryTypes)
	case was && !is:
		ts.unmirror(serviceID, e.opts.DirectoryTypes)
	}
}

// withMirrors returns muts with, right after each change to a directory
// tuple, the same change for every opted-in service. Called by the index's
// only writer (indexStore.write), so the opted-in set is the one SetModel
// left.
func (e *Engine) withMirrors(muts []Mutation) []Mutation {
	if !e.directory() {
		return muts
	}
	types := e.directoryTypes()
	touches := false
	for _, m := range muts {
		if m.ServiceID == e.opts.DirectoryService && types[m.Tuple.Object.Type] {
			touches = true
			break
		}
	}
	if !touches {
		return muts
	}
	var opted []string
	e.mu.RLock()
	for svc, c := range e.models {
		if c.dirTypes != nil {
			opted = append(opted, svc)
		}
	}
	e.mu.RUnlock()
	if len(opted) == 0 {
		return muts
	}
	out := make([]Mutation, 0, len(muts))
	for _, m := range muts {
		out = append(out, m)
		if m.ServiceID == e.opts.DirectoryService && types[m.Tuple.Object.Type] {
			for _, svc := range opted {
				out = append(out, Mutation{ServiceID: svc, Delete: m.Delete, Tuple: m.Tuple})
			}
		}
	}
	return out
}

// mirror copies every tuple of service from whose object type is in types
// into service to.
func (ts *tuples) mirror(from, to string, types []string) {
	for _, typ := range types {
		ts.eachTuple(from, typ, func(t tuple.Tuple) { ts.add(to, t) })
	}
}

// unmirror removes every tuple of the service whose object type is in
// types.
func (ts *tuples) unmirror(svc string, types []string) {
	var gone []tuple.Tuple
	for _, typ := range types {
		ts.eachTuple(svc, typ, func(t tuple.Tuple) { gone = append(gone, t) })
	}
	for _, t := range gone {
		ts.remove(svc, t)
	}
	if ts.strs != nil {
		ts.strs.sweep()
	}
}

// eachTuple calls fn with every tuple of the service whose object is of
// type typ, read from the forward index. fn may change other services'
// parts of the index, not this one's.
func (ts *tuples) eachTuple(svc, typ string, fn func(tuple.Tuple)) {
	for id, obj := range ts.fwd.objects(svc, typ) {
		for _, g := range obj {
			for uid := range g.ids.all(ts.strs) {
				fn(tuple.Tuple{Object: tuple.Object{Type: typ, ID: id}, Relation: g.rel,
					User: tuple.User{Type: g.utype, ID: uid, Relation: g.urel}})
			}
		}
	}
}
