"""Reports of a warning: the daily report and the post-event assessment (总结评估), as JSON, xlsx and docx."""
