// Free TCP ports on 127.0.0.1, so test files that ava runs in parallel never collide: the project's one
// picker (deploy/local/lib/ports.ts), which keeps clear of the ports outgoing connections take.
export { freePort, freePorts } from '../../deploy/local/lib/ports.ts';
