# tests/faultdns: rules added by the component that lives here.
