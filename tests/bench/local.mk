# tests/bench: rules added by the component that lives here.
