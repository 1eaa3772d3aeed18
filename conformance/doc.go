// Package conformance holds OpenFGA's own server test matrix
// (../shared/conformance/openfga/consolidated_1_1_tests.yaml) as Go tests,
// run in two modes: against the engine in process (TestConformanceEngine,
// SQLite) and through the HTTP API of a live server on PostgreSQL
// (TestConformanceHTTP). Each mode runs every test as a subtest, names every
// failing assertion, and ends with the line "N passed, N failed".
//
// Set SENTINEL_CONFORMANCE_FILE to run another file of the same format.
package conformance
