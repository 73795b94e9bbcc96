# tests/e2e: rules added by the component that lives here.
