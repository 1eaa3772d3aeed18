package engine

// DropModel forgets a deleted service's compiled model (its Rego, prepared
// queries and plans), which nothing can reach once the service is gone.
// The service's tuples leave the index through their own deletions in the
// changelog, which precede the service's removal. A later SetModel for the
// same id installs a model again.
func (e *Engine) DropModel(serviceID string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.models, serviceID)
}
