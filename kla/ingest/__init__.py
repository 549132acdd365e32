"""Every writer: the store (lock, stage, swap), the build steps and each importer."""
