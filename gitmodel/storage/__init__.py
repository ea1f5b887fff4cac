"""Storage: the cache, the state db, remotes and the transfer engine."""
