"""E-mail about failed harvest jobs.

ckanext-harvest mails only about records that failed to import; a job whose source could not be
read at all, or that refused to withdraw datasets, has no such records. Those are exactly the jobs
an operator must hear about, so the core mails them itself, to the same people ckanext-harvest
would: the sysadmins and the administrators of the source's organisation.
"""
from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk

from ckanext.jena.harvesters.messages import N_, HarvestMessage

log = logging.getLogger(__name__)


def failed_job(job, problem: HarvestMessage) -> list[str]:
    """Mail the problem of a job to those responsible for its source; returns the addresses."""
    if not tk.asbool(tk.config.get("ckanext.jena.harvest.mail_on_failure")):
        return []
    if not tk.config.get("smtp.server") and not tk.config.get("smtp.test_server"):
        log.info("Harvest job %s failed; no mail sent because smtp.server is not set", job.id)
        return []
    context = {"ignore_auth": True,
               "user": tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]}
    try:
        recipients = tk.get_action("harvest_get_notifications_recipients")(
            context, {"source_id": job.source_id})
    except Exception:
        log.exception("Could not find the recipients for harvest job %s", job.id)
        return []
    source_title = job.source.title or job.source.url
    subject = HarvestMessage(N_("Harvest of \"{source}\" failed"), source=source_title)
    body = HarvestMessage(N_(
        "The harvest job {job} of the source \"{source}\" ({url}) failed:\n\n{problem}\n\n"
        "The job report: {report}"),
        job=job.id, source=source_title, url=job.source.url, problem=problem,
        report=tk.config.get("ckan.site_url", "").rstrip("/") + f"/harvest/{job.source_id}/job/{job.id}")
    sent = []
    for recipient in recipients:
        try:
            tk.mail_recipient(recipient["name"], recipient["email"],
                              " / ".join(dict.fromkeys((subject.text("de"), subject.text("en")))),
                              body.text("de") + "\n\n----\n\n" + body.text("en"))
            sent.append(recipient["email"])
        except Exception:
            log.exception("Could not mail %s about harvest job %s", recipient["email"], job.id)
    return sent
