"""The shells that run units of work and record them: refresh jobs and their scheduler, the GDELT
backfill, page snapshots, the run record they share, and the status report."""
