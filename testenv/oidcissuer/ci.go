package oidcissuer

import "fmt"

// GitHub is the claims of a GitHub Actions job of owner/repo running on
// ref, named as token.actions.githubusercontent.com names them. sub is
// the classic form, repo:<owner>/<repo>:ref:<ref>; GitHubImmutable gives
// the newer form with the numeric IDs.
func GitHub(owner, repo, ref string) Claims {
	full := owner + "/" + repo
	return Claims{
		"sub":                   "repo:" + full + ":ref:" + ref,
		"repository":            full,
		"repository_owner":      owner,
		"repository_owner_id":   "1000001",
		"repository_id":         "2000002",
		"repository_visibility": "private",
		"ref":                   ref,
		"ref_type":              "branch",
		"sha":                   "8f3c0a4e1d2b5c6a7e8f9a0b1c2d3e4f5a6b7c8d",
		"workflow":              "ci",
		"workflow_ref":          full + "/.github/workflows/ci.yml@" + ref,
		"job_workflow_ref":      full + "/.github/workflows/ci.yml@" + ref,
		"event_name":            "push",
		"actor":                 "octocat",
		"actor_id":              "3000003",
		"run_id":                "4000004",
		"run_number":            "7",
		"run_attempt":           "1",
		"runner_environment":    "github-hosted",
	}
}

// GitHubImmutable is GitHub with the immutable-ID subject
// (repo:<owner>@<owner id>/<repo>@<repo id>:ref:<ref>, e.g.
// repo:octocat@123456/my-repo@456789:ref:refs/heads/main), the default for
// repositories created or renamed since July 15, 2026: a recycled owner or
// repository name cannot take it over.
func GitHubImmutable(owner, repo, ref string) Claims {
	c := GitHub(owner, repo, ref)
	c["sub"] = fmt.Sprintf("repo:%s@%s/%s@%s:ref:%s", owner, c["repository_owner_id"], repo, c["repository_id"], ref)
	return c
}

// GitLab is the claims of a GitLab CI job of group/project on branch ref,
// as gitlab.com names them (id_tokens: with aud set by the job).
func GitLab(group, project, ref string) Claims {
	path := group + "/" + project
	return Claims{
		"sub":                "project_path:" + path + ":ref_type:branch:ref:" + ref,
		"namespace_id":       "5000005",
		"namespace_path":     group,
		"project_id":         "6000006",
		"project_path":       path,
		"user_login":         "ci-bot",
		"pipeline_source":    "push",
		"ref":                ref,
		"ref_type":           "branch",
		"ref_protected":      "true",
		"runner_environment": "gitlab-hosted",
	}
}
