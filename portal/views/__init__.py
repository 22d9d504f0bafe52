"""The pages, one module per area; each route is declared with `portal.security.page`."""
