# milter: rules added by the component that lives here.
sbin_PROGRAMS += milter/mxwarden
milter_mxwarden_SOURCES = milter/main.c
