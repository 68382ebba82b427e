/**
 * Test helpers for Strata projects and for implementations of core contracts.
 *
 * @since 0.1.0
 */
export {}
