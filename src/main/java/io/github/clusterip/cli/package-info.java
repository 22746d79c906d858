/**
 * The command line of the jar ({@code java -jar clusterip-allocator.jar ...}): bands, allocation,
 * and reading and converting snapshots. Not part of the API: the module does not export this
 * package, and its classes may change in any release. The entry point is {@link Main}.
 */
package io.github.clusterip.cli;
