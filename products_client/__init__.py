"""A SigV4-signing Python client and the `products` command line for the products API."""
