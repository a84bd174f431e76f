// Package prefetch asks the processor to start loading a cache line that
// will be read soon, and goes on without waiting for it.
//
// A plain load serves as a prefetch only while the processor has room to
// run past it: a load that misses holds up every instruction after it from
// retiring, so a few hundred instructions later the core stalls until the
// line arrives. A prefetch instruction retires at once, so a table's
// lookups can be announced a whole batch ahead of the work between them.
package prefetch
