"""Lists merged across pods: the query, the pods' pages, the merge and the page shown."""
