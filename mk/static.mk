# mk/static.mk -- make static: fully static crashtrail binaries (musl).
