# mk/install.mk -- make install (PREFIX, DESTDIR) and make deb.

install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/crashtrail
