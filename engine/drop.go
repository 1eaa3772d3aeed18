package engine

// DropModel forgets a deleted service's compiled model (its Rego, prepared
// queries and plans), which nothing can reach once the service is gone.
// The service's tuples leave the index through their own deletions in the
// changelog, which precede the service's removal; the directory tuples
// mirrored into it have no such rows, so they are removed here, with the
// closures and chains built on them. A later SetModel for the same id
// installs a model again.
func (e *Engine) DropModel(serviceID string) {
	e.store.apply(func(ts *tuples) {
		e.mu.Lock()
		c := e.models[serviceID]
		delete(e.models, serviceID)
		e.mu.Unlock()
		if c == nil || c.dirTypes == nil {
			return
		}
		ts.unmirror(serviceID, e.opts.DirectoryTypes)
		ts.recomputeService(serviceID, c.closables)
		ts.recomputeChains(serviceID, c.chains)
	})
}
