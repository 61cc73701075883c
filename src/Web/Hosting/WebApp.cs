using System.Text.Json;
using System.Text.Json.Serialization;
using Hangfire;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.FileProviders;
using MudBlazor.Services;
using ProCo.Data;
using ProCo.Data.Entities;
using ProCo.Training.Engine;
using ProCo.Web.Accounts;
using ProCo.Web.Api;
using ProCo.Web.Components;
using ProCo.Web.Live;
using ProCo.Web.Runs;

namespace ProCo.Web.Hosting;

/// <summary>Builds the web app: the composition root of <c>proco serve</c>.</summary>
public static class WebApp
{
    /// <summary>The address used when nothing else is configured.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5000";

    /// <summary>Builds the application with its data folder ready and its database migrated.</summary>
    public static async Task<WebApplication> BuildAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            // Named explicitly so the static-asset manifests (proco.staticwebassets.*.json) are found
            // whichever process hosts the app (the proco executable, or a test runner).
            ApplicationName = typeof(WebApp).Assembly.GetName().Name,
            // appsettings.json and our static files sit beside the binary, wherever it is started from.
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "static"),
        });
        // --urls, ASPNETCORE_URLS, ASPNETCORE_HTTP_PORTS or a Kestrel endpoint all take precedence.
        if (Exposure.ConfiguredUrls(builder.Configuration).Count == 0) builder.WebHost.UseUrls(DefaultUrl);
        // Framework and MudBlazor assets resolve through the build's manifest when not published.
        builder.WebHost.UseStaticWebAssets();

        builder.Services.AddProCoCore();
        // What decides which services this host registers, read before its container exists.
        var settings = RunServiceCollectionExtensions.ReadOptions(builder.Configuration);
        builder.Services.AddStudioAuthentication();
        // Requests naming any other host are refused (400): a page on another site cannot reach this
        // server through a DNS name it controls (rebinding).
        builder.Services.AddOptions<HostFilteringOptions>().Configure<IConfiguration>((hosts, configuration) =>
            hosts.AllowedHosts = Exposure.AllowedHosts(configuration).ToList());
        builder.Services.AddStudioRateLimits();
        // ProCo:Redis carries the live path between web instances and workers of many hosts.
        builder.Services.AddLive(settings.Redis);
        // ProCo:Workers = 0 makes this process web-only: `proco worker` processes do the training.
        builder.Services.AddJobs(runServer: settings.Workers != 0);
        builder.Services.AddDataProtection();
        builder.Services.AddOptions<KeyManagementOptions>().Configure<DataPaths, ILoggerFactory>((keys, paths, logs) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(paths.KeysDir), logs));
        // A multipart upload may be as large as the import limit (the form reader's own default is 128 MB).
        builder.Services.AddOptions<FormOptions>().Configure<DataPaths>((form, paths) =>
            form.MultipartBodyLengthLimit = paths.Options.Import.MaxUploadBytes + (1 << 20));
        // The API schema's training fields say what ConfigSchema says of them (help, range, default).
        builder.Services.AddOpenApi(openApi => openApi.AddSchemaTransformer((schema, context, _) =>
        {
            if (context.JsonPropertyInfo?.DeclaringType == typeof(TrainingConfig)
                && ConfigSchema.Fields.FirstOrDefault(f => f.Name == context.JsonPropertyInfo.Name) is { } field)
                schema.Description = field.Describe();
            return Task.CompletedTask;
        }));
        builder.Services.AddProblemDetails();
        // A misspelt or unknown field in a request body is an error, not silently a default; a request
        // the API cannot read throws, so that ExplainBadRequests can say why.
        // NaN and ±∞ (a diverging loss) are served as what they are: "NaN", "Infinity", "-Infinity".
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals;
        });
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        // Toasts appear at the bottom left, over the menu's edge and below the page's content, never
        // over the buttons at the top of a page.
        builder.Services.AddMudServices(config =>
        {
            config.SnackbarConfiguration.PositionClass = MudBlazor.Defaults.Classes.Position.BottomLeft;
            config.SnackbarConfiguration.VisibleStateDuration = 4000;
            config.SnackbarConfiguration.ShowCloseIcon = true;
        });

        builder.Services.AddScoped<ProCo.Web.Components.Shared.PageRunActions>();

        var app = builder.Build();
        if (Exposure.Problem(app.Configuration, app.Services.GetRequiredService<ProCoOptions>().Auth.Enabled) is { } problem)
            throw new StartupRefusedException(problem);
        // A published app keeps the framework's, MudBlazor's and the pages' collocated assets in
        // wwwroot beside the binary (the build serves them from their sources instead); ours are in
        // static. Both are the web root, or MapStaticAssets would answer those with empty bodies.
        var published = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (Directory.Exists(published))
            app.Environment.WebRootFileProvider = new CompositeFileProvider(app.Environment.WebRootFileProvider, new PhysicalFileProvider(published));
        await app.PrepareDataFolderAsync();

        if (!app.Environment.IsDevelopment())
        {
            // An unhandled error in an API or hub request answers problem+json (500, its trace id, no
            // stack) with the request's own method; pages get the in-app error page.
            app.UseWhen(c => IsApi(c.Request.Path), api => api.UseExceptionHandler());
            app.UseWhen(c => !IsApi(c.Request.Path), pages => pages.UseExceptionHandler("/error", createScopeForErrors: true));
        }
        // An address that is no page answers 404 with the app's own not-found page (the API keeps its problem answers).
        app.UseWhen(c => !IsApi(c.Request.Path) && !c.Request.Path.StartsWithSegments("/hangfire"),
            pages => pages.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true));
        app.Use(SecurityHeaders);
        app.UseCrossOriginGuard();
        app.Use(ExplainBadRequests);
        app.UseStaticFiles();
        // Routing here, after the error and status-code pages, so that their re-executed requests are routed anew.
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.UseAntiforgery();
        // Stylesheets and scripts are public (the sign-in page needs them); every other endpoint needs a role (Permissions).
        app.MapStaticAssets();
        app.MapOpenApi().RequireAuthorization(Permissions.Policy(StudioAction.Read));
        app.MapRunsApi();
        app.MapSweepsApi();
        app.MapImportApi();
        app.MapAccountsApi();
        app.MapDatasetsApi();
        app.MapWorkersApi();
        app.MapHub<RunHub>(RunHub.Path).RequireAuthorization(Permissions.Policy(StudioAction.Read));
        // The page policy above already forbids framing; Blazor need not add a second header for it.
        // Pages and the circuit's hub need a viewer; the sign-in pages say [AllowAnonymous].
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null)
            .RequireAuthorization(Permissions.Policy(StudioAction.Read));
        // Hangfire's own dashboard, for admins (its own local-only filter is replaced by the role policy).
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [] })
            .RequireAuthorization(Permissions.Policy(StudioAction.OpenJobDashboard));
        return app;
    }

    /// <summary>The API, the hub and the API description: answered with status codes and problem+json, never a page.</summary>
    public static bool IsApi(PathString path) => path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/openapi");

    // Every answer: no MIME sniffing, no referrer beyond this origin, no framing by other sites. Pages
    // also get a content security policy that Blazor Server, MudBlazor and the charts work under:
    // scripts and connections from this origin only (the circuit's and the hub's WebSockets
    // included), inline styles allowed (MudBlazor and uPlot set them), images also as data: and blob:.
    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "same-origin";
        headers.XFrameOptions = "DENY";
        // Hangfire's dashboard brings inline scripts of its own; it keeps the headers above.
        if (!context.Request.Path.StartsWithSegments("/hangfire"))
        {
            headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
                                            "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
        }
        return next(context);
    }

    // A body or parameter the API cannot read answers 400 with the reason ("The JSON property 'preset'
    // could not be mapped to any .NET member contained in type ...TrainingConfig") instead of an empty body.
    private static async Task ExplainBadRequests(HttpContext context, RequestDelegate next)
    {
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var reason = e.InnerException is JsonException json ? json.Message : e.Message;
            await Results.Problem(reason, statusCode: e.StatusCode, title: "The request could not be read.").ExecuteAsync(context);
        }
    }

    /// <summary>Creates the data folder and applies pending migrations of the run database.</summary>
    public static Task PrepareDataFolderAsync(this IHost app) => app.Services.PrepareDataFolderAsync();

    /// <summary>Creates the data folder and applies pending migrations, with the services of a host or of a command-line verb.</summary>
    public static async Task PrepareDataFolderAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        var paths = services.GetRequiredService<DataPaths>();
        paths.EnsureCreated();
        var factory = services.GetRequiredService<IDbContextFactory<ProCoDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        try
        {
            await DatabaseMigrator.MigrateAsync(db, cancellationToken);
        }
        catch (Exception e) when (paths.Database.Provider == DatabaseProvider.Postgres
                                  && (e as System.Data.Common.DbException ?? e.InnerException as System.Data.Common.DbException) is { } failure)
        {
            // A server that is down, a wrong password or a missing database: said in one line, not a stack.
            throw new StartupRefusedException($"The run database {paths.Database.Describe()} does not answer: {failure.Message}");
        }
    }
}
