# tests/unit: rules added by the component that lives here.
