// Package collect gets a provider's bytes into the pipeline fast and never
// loses them silently. A collector wraps, it does not transform: every
// message becomes one [Envelope] holding the raw bytes exactly as they
// arrived, who sent them, when they arrived, and the provider's own position
// (sequence, offset or clock token) so a reconnect can resume where it left off.
//
// Everything downstream consumes envelopes through the [Source] contract.
package collect
